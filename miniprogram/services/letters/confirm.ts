/**
 * The questions the compose page asks before and after sealing, so that nobody is left out and
 * nothing is lost without the sender knowing.
 */
import { t } from '../../i18n';
import { wxCall } from '../wxp';
import type { RecipientDraft } from './index';

/**
 * When some typed recipients could not be checked (their lookup failed), names each of them and
 * asks whether to send to the others anyway. True when nobody is left out or the sender agreed.
 * People not registered yet are not left out: the letter waits for them.
 */
export async function confirmLeftOut(recipients: RecipientDraft[]): Promise<boolean> {
  const leftOut = recipients.filter((r) => r.status !== 'found' && r.status !== 'missing');
  if (leftOut.length === 0) return true;
  const names = leftOut.map((r) => t('compose_left_out_failed', { name: r.name })).join(t('list_separator'));
  const choice = await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
    title: t('compose_left_out_title'),
    content: t('compose_left_out_body', { names, count: recipients.length - leftOut.length }),
    confirmText: t('modal_send_anyway'),
    cancelText: t('modal_go_back'),
  });
  return choice.confirm;
}

/** Tells the sender a sealed letter is kept on the phone and goes out when the network is back. */
export async function tellQueued(): Promise<void> {
  await wxCall<WechatMiniprogram.ShowModalSuccessCallbackResult>(wx.showModal, {
    title: t('outbox_queued_title'),
    content: t('outbox_queued_body'),
    showCancel: false,
    confirmText: t('modal_ok'),
  });
}
