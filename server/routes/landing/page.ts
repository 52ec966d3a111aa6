/**
 * The HTML behind the QR URL (`GET /s/:id`), for someone who scanned the code with an ordinary camera:
 * it says, in Chinese and then English, how to open the letter in WeChat.
 *
 * The pages are constants: no request data is ever written into them (not even the id), so there is
 * nothing to escape from outside; the template still escapes every text it is given. No script, no
 * external resource: one inline stylesheet allowed by its hash, one inline SVG, a data: favicon (so
 * the browser does not ask for /favicon.ico).
 */
import { createHash } from 'node:crypto';

/** WeChat's brand green, as in WeUI's primary button. */
const GREEN = '#07C160';

const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;background:#ededed;color:rgba(0,0,0,.9);
font-family:-apple-system,BlinkMacSystemFont,"Helvetica Neue","PingFang SC","Hiragino Sans GB","Microsoft YaHei UI","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",Arial,sans-serif;
font-size:16px;line-height:1.6;-webkit-font-smoothing:antialiased}
main{max-width:480px;margin:0 auto;padding:calc(32px + env(safe-area-inset-top)) 16px calc(24px + env(safe-area-inset-bottom))}
.card{background:#fff;border-radius:12px;padding:32px 24px 24px}
.icon{display:block;margin:0 auto 20px}
h1{margin:0;text-align:center;font-size:22px;font-weight:600;line-height:1.4;letter-spacing:.02em}
.en{display:block;color:rgba(0,0,0,.5);font-size:14px;font-weight:400;letter-spacing:0;line-height:1.5;
font-family:-apple-system,BlinkMacSystemFont,"Helvetica Neue",Helvetica,Roboto,Arial,sans-serif}
h1 .en{margin-top:4px;font-size:15px}
.lead{margin:16px 0 0;text-align:center;font-size:15px;color:rgba(0,0,0,.7)}
.lead .en{margin-top:4px}
h2{margin:28px 0 12px;font-size:15px;font-weight:600}
h2 .en{display:inline;margin-left:6px}
ol{list-style:none;margin:0;padding:0;counter-reset:step}
li{position:relative;counter-increment:step;padding:12px 0 12px 36px;border-top:1px solid rgba(0,0,0,.08);font-size:15px}
li::before{content:counter(step);position:absolute;left:0;top:13px;width:24px;height:24px;border-radius:50%;
background:${GREEN};color:#fff;font-size:13px;font-weight:600;line-height:24px;text-align:center}
li .en{margin-top:2px}
.note{display:flex;gap:8px;margin:20px 0 0;padding:12px 14px;border-radius:8px;background:rgba(7,193,96,.08);
font-size:13px;color:rgba(0,0,0,.7)}
.note svg{flex:none;margin-top:3px}
.note .en{font-size:12px}
footer{margin-top:20px;text-align:center;font-size:12px;color:rgba(0,0,0,.3);letter-spacing:.1em}
@media (prefers-color-scheme:dark){
body{background:#111;color:rgba(255,255,255,.85)}
.card{background:#191919}
.en,.lead{color:rgba(255,255,255,.55)}
li{border-top-color:rgba(255,255,255,.08)}
.note{background:rgba(7,193,96,.14);color:rgba(255,255,255,.7)}
footer{color:rgba(255,255,255,.3)}
}
`
  .trim()
  .replace(/\n/g, '');

/** CSP source for the page's one stylesheet: the hash of exactly the text between the style tags. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/** Response headers for both pages. Nothing on them is worth caching, and their URL names a letter. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': [
    "default-src 'none'",
    `style-src ${STYLE_HASH}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** A text in both languages; Chinese is shown first. */
interface Bilingual {
  zh: string;
  en: string;
}

interface PageContent {
  title: Bilingual;
  lead: Bilingual;
  steps?: { heading: Bilingual; items: Bilingual[] };
  note?: Bilingual;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const en = (text: string) => `<span class="en" lang="en">${escapeHtml(text)}</span>`;

const LETTER_ICON = `<svg class="icon" width="64" height="64" viewBox="0 0 64 64" aria-hidden="true">\
<circle cx="32" cy="32" r="32" fill="${GREEN}"/>\
<rect x="16" y="21" width="32" height="23" rx="3.5" fill="none" stroke="#fff" stroke-width="2.6"/>\
<path d="M17.5 23.5 32 34l14.5-10.5" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" \
stroke-linejoin="round"/></svg>`;

const WARN_ICON = `<svg class="icon" width="64" height="64" viewBox="0 0 64 64" aria-hidden="true">\
<circle cx="32" cy="32" r="32" fill="#FA9D3B"/>\
<rect x="29.5" y="16" width="5" height="22" rx="2.5" fill="#fff"/><circle cx="32" cy="46" r="3.2" fill="#fff"/></svg>`;

const LOCK_ICON = `<svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true">\
<rect x="2.5" y="7" width="11" height="8" rx="1.8" fill="${GREEN}"/>\
<path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="${GREEN}" stroke-width="1.6"/></svg>`;

function render(content: PageContent, icon: string): string {
  const { title, lead, steps, note } = content;
  const stepsHtml = steps
    ? `<h2>${escapeHtml(steps.heading.zh)}${en(steps.heading.en)}</h2><ol>${steps.items
        .map((item) => `<li>${escapeHtml(item.zh)}${en(item.en)}</li>`)
        .join('')}</ol>`
    : '';
  const noteHtml = note
    ? `<p class="note">${LOCK_ICON}<span>${escapeHtml(note.zh)}${en(note.en)}</span></p>`
    : '';
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<meta name="format-detection" content="telephone=no">
<title>${escapeHtml(title.zh)} · ${escapeHtml(title.en)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<main>
<section class="card">
${icon}
<h1>${escapeHtml(title.zh)}${en(title.en)}</h1>
<p class="lead">${escapeHtml(lead.zh)}${en(lead.en)}</p>
${stepsHtml}
${noteHtml}
</section>
<footer>密封 · MIFENG</footer>
</main>
</body>
</html>
`;
}

/** The page for every well-formed letter id, whether or not such a letter exists (see index.ts). */
export function landingPage(): string {
  return render(
    {
      title: { zh: '请在微信中打开', en: 'Open this in WeChat' },
      lead: {
        zh: '「密封」加密信件只能在微信里打开，而且只有信上写明的收件人才能读到。',
        en: 'Mifeng letters open only inside WeChat, and only for the people they are addressed to.',
      },
      steps: {
        heading: { zh: '怎样打开', en: 'How to open it' },
        items: [
          {
            zh: '打开微信，点右上角的「⊕」，选择「扫一扫」，再扫一次这个二维码。',
            en: 'Open WeChat, tap ⊕ at the top right, choose “Scan”, and scan this QR code again.',
          },
          {
            zh: '如果二维码在图片或聊天里：在微信中长按图片，选择「识别图中二维码」。',
            en: 'If the QR code is in a picture or a chat: long-press it in WeChat and choose “Scan QR Code in Image”.',
          },
          {
            zh: '也可以在微信里搜索「密封」小程序，打开后用它扫码。',
            en: 'Or find the Mifeng (密封) mini program in WeChat, open it, and scan from there.',
          },
        ],
      },
      note: {
        zh: '信件内容经端到端加密。这个网页看不到、也不会显示任何信件信息。',
        en: 'Letters are end-to-end encrypted. This web page cannot see, and does not show, anything about them.',
      },
    },
    LETTER_ICON,
  );
}

/** The page for a malformed id: a cut-off or mistyped link. */
export function invalidLinkPage(): string {
  return render(
    {
      title: { zh: '链接无效', en: 'This link is not valid' },
      lead: {
        zh: '这个链接不完整或有误。请重新扫描完整的二维码，或请发信人再分享一次。',
        en: 'The link is incomplete or mistyped. Scan the whole QR code again, or ask the sender to share it again.',
      },
    },
    WARN_ICON,
  );
}
