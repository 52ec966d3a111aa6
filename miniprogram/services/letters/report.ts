/**
 * Telling the sender what a pass of `deliverReady` did: keys to review, keys not in the log, letters
 * that could not go out now (tried again at the next pass), and how many went.
 */
import { t } from '../../i18n';
import { wxCall } from '../wxp';
import { type DeliveryReport, deliverReady } from './pending';

async function notice(title: string, content: string): Promise<void> {
  await wxCall(wx.showModal, {
    title,
    content,
    showCancel: false,
    confirmText: t('modal_ok'),
  });
}

/** Shows `report`; resolves once every modal is closed. */
export async function showDeliveryReport(report: DeliveryReport): Promise<void> {
  const names = (list: string[]) => list.join(t('list_separator'));
  if (report.keyChanged.length > 0) {
    await notice(
      t('pending_key_changed_title'),
      t('pending_key_changed_body', { names: names(report.keyChanged) }),
    );
  }
  for (const name of report.notInLog)
    await notice(t('pending_key_changed_title'), t('err_not_in_log', { name }));
  if (report.failed.length > 0) {
    await notice(t('pending_not_delivered_title'), t('pending_failed_body', { names: names(report.failed) }));
  }
  if (report.delivered.length > 0) {
    wx.showToast({ title: t('pending_delivered_toast', { count: report.delivered.length }), icon: 'none' });
  }
}

let running: Promise<DeliveryReport> | null = null;

/**
 * One pass of `deliverReady`, never two at once: a second call while one runs waits for it and
 * reports nothing of its own (null), so each result is shown once.
 */
export async function deliverReadyOnce(): Promise<DeliveryReport | null> {
  if (running) {
    await running.catch(() => undefined);
    return null;
  }
  running = deliverReady();
  try {
    return await running;
  } finally {
    running = null;
  }
}
