/**
 * The master key estimator: zxcvbn-ts (pattern matching + the guess count of the cheapest way to
 * produce the key) with its common dictionaries and keyboard graphs, plus the patterns Chinese users
 * actually choose. This file is bundled on its own by scripts/build-lib.mjs into
 * `lib/strength.js` (≈ 450 KB, most of it the password list), which only the register page and
 * the Me page's key change load (services/strength), so launching the mini program never pays for it.
 *
 * The added dictionaries are small, hand-written lists of what leads password dumps of Chinese
 * sites (pinyin words and names, lucky numbers, brands, Chinese phrases); zxcvbn matches them with
 * its usual variations (capitals, reversal, l33t), and ranks them by position, so order matters: the
 * most common first. Mainland mobile numbers get their own matcher; dates, keyboard walks,
 * sequences and repeats are zxcvbn's own.
 */
import { type Match, type MatchEstimated, type MatchExtended, ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/** Pinyin that tops Chinese password lists, then the most common surnames and given-name syllables. */
const PINYIN = (
  'woaini aini woaiwojia wojiushiwo nihao baobei laogong laopo qinqin xiaobao xingfu kuaile ' +
  'aiqing yongyuan yisheng shengri zhongguo beijing shanghai guangzhou shenzhen tianjin chengdu ' +
  'wuhan nanjing hangzhou xian chongqing mima denglu xiaoming xiaohong xiaoli xiaowei xiaoyu ' +
  'zhangwei wangwei wangfang liwei lijing wangxiuying lixiuying lina zhangxiuying liuwei ' +
  'zhangmin lijun wangjing zhangli zhangjing lihua liming ' +
  'wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang ' +
  'xie song tang han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai du ye cheng su ' +
  'wei lu ding ren shen yao cui zhong tan fan jin shi liao jia xia fu fang bai zou meng xiong qin ' +
  'qiu yin xue yan duan lei hou long tao gu mao hao gong shao wan qian dai ' +
  'min jing qiang jun yong jie juan ming chao xiulan ping gang hua hui xin yi lan ling hong fei ' +
  'bin bo cheng dan fang hai hao jian kai lei lili long mei na ning peng qing rui shan tingting ' +
  'wen xiang xiu yan yun zhen zhi zi yuyu'
).split(' ');

/** Numbers chosen for their sound (520 我爱你, 1314 一生一世, 168 一路发, 88 发发) and keypad shapes. */
const LUCKY_NUMBERS = (
  '520 1314 5201314 1314520 521 5211314 3344 7758521 530 584 9420 666 888 168 1688 518 8888 ' +
  '6666 9999 66666 88888 666666 888888 999999 147258 147258369 159357 159753 258369 789456 ' +
  '321654 963852 741852 123321 112233 110 119 120 911 2008 2012 2046'
).split(' ');

/** Brands and sites people build passwords on (Huawei@123, taobao2024, qq123456). */
const BRANDS = (
  'huawei xiaomi apple iphone oppo vivo honor samsung lenovo meizu oneplus taobao tmall alipay ' +
  'zhifubao weixin wechat qq tencent baidu alibaba aliyun jd jingdong meituan douyin tiktok ' +
  'kuaishou bilibili weibo sina sohu netease wangyi 163 126 pinduoduo ctrip xiecheng didi ' +
  'haier gree midea byd geely zte icbc abc ccb boc cmb unionpay china mifeng admin root'
).split(' ');

/** Chinese phrases of password dumps, and characters that fill them (我的密码是一二三 is nothing). */
const CHINESE = (
  '我爱你 我的密码 密码 我的 我是 是 的 我 你 他 她 爱 一二三 一二三四五六 一二三四 一生一世 ' +
  '我爱我家 我爱中国 中国 你好 宝贝 老公 老婆 亲爱的 生日快乐 天天向上 好好学习 永远 幸福 快乐 ' +
  '一 二 三 四 五 六 七 八 九 十 零 壹 贰 叁 肆 伍 陆 柒 捌 玖 拾 密封 微信 北京 上海 ' +
  '天 地 人 大 小 中 好 心 家 年 月 日 春 夏 秋 冬 花 山 水 风 云 龙 福 平安 发财'
).split(' ');

/**
 * A mainland China mobile number (1, then 3–9, then nine digits): guessable by anyone who knows
 * the person, and there are far fewer in use than ten-digit strings suggest. Scored as one choice
 * among 10^8 (about one in ten 11-digit strings of that shape is assigned).
 */
const PHONE = /1[3-9]\d{9}/g;
const PHONE_GUESSES = 1e8;

class PhoneMatching {
  match({ password }: { password: string }): MatchExtended[] {
    const matches: MatchExtended[] = [];
    for (const found of password.matchAll(PHONE)) {
      const i = found.index ?? 0;
      matches.push({ pattern: 'phone', i, j: i + found[0].length - 1, token: found[0] } as MatchExtended);
    }
    return matches;
  }
}

const phoneMatcher = {
  Matching: PhoneMatching,
  scoring: (_match: MatchExtended | MatchEstimated) => PHONE_GUESSES,
  feedback: () => ({ warning: 'phone', suggestions: [] }),
};

let factory: ZxcvbnFactory | null = null;

function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory(
    {
      dictionary: {
        ...dictionary,
        pinyin: PINYIN,
        luckyNumbers: LUCKY_NUMBERS,
        brands: BRANDS,
        chinese: CHINESE,
      },
      graphs: adjacencyGraphs,
    },
    // The class satisfies zxcvbn's Matching contract (match() only); its typings want its base class.
    { phone: phoneMatcher as never },
  );
  return factory;
}

/** Which kind of pattern made a key guessable: the page turns it into a hint. */
export type WeakPattern =
  | 'common'
  | 'pinyin'
  | 'lucky'
  | 'brand'
  | 'chinese'
  | 'personal'
  | 'phone'
  | 'date'
  | 'keyboard'
  | 'sequence'
  | 'repeat'
  | null;

export interface Estimate {
  /** log10 of the guesses an attacker who knows these patterns needs (zxcvbn's estimate). */
  guessesLog10: number;
  /** The guessable pattern covering the most characters, or null when nothing guessable was found. */
  pattern: WeakPattern;
}

function patternOf(match: Match): WeakPattern {
  switch (match.pattern) {
    case 'dictionary': {
      const name = (match as Match & { dictionaryName?: string }).dictionaryName;
      if (name === 'pinyin') return 'pinyin';
      if (name === 'luckyNumbers') return 'lucky';
      if (name === 'brands') return 'brand';
      if (name === 'chinese') return 'chinese';
      if (name === 'userInputs') return 'personal';
      return 'common';
    }
    case 'phone':
      return 'phone';
    case 'date':
      return 'date';
    case 'spatial':
      return 'keyboard';
    case 'sequence':
      return 'sequence';
    case 'repeat':
      return 'repeat';
    case 'regex':
      return 'date';
    default:
      return null;
  }
}

/**
 * Estimates `key`. `userInputs` are words an attacker knows about this person (name, phone number):
 * a key built on them counts as guessed.
 */
export function estimate(key: string, userInputs: string[] = []): Estimate {
  const result = zxcvbn().check(key, userInputs);
  let pattern: WeakPattern = null;
  let longest = 0;
  for (const match of result.sequence) {
    const kind = patternOf(match);
    const length = match.j - match.i + 1;
    if (kind && length > longest) {
      pattern = kind;
      longest = length;
    }
  }
  return { guessesLog10: result.guessesLog10, pattern };
}

/** The EFF long word list (7 776 words, log2 7776 ≈ 12.9 bits each) that zxcvbn-ts ships. */
export const PASSPHRASE_WORDS: readonly string[] = dictionary['diceware-common'];
