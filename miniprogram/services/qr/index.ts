/**
 * Drawing QR codes with weapp-qrcode on a `<canvas type="2d">`.
 *
 * weapp-qrcode speaks the old canvas-context API (`wx.createCanvasContext`: setFillStyle, fillRect,
 * draw), which WeChat has deprecated in favour of the 2d canvas node. `LegacyContextAdapter`
 * translates those calls onto a CanvasRenderingContext2D-like object. The backing store is sized
 * in device pixels (CSS size × devicePixelRatio) and the context scaled, so modules stay crisp on
 * high-density screens and the saved image is sharp.
 */
import type { LegacyCanvasContext } from 'weapp-qrcode';
import { drawQrcode } from '../../lib';

/** What we use of a 2d rendering context (the real one, or a test double that rasterizes). */
export interface Context2d {
  fillStyle: unknown;
  fillRect(x: number, y: number, width: number, height: number): void;
  scale(x: number, y: number): void;
  setTransform?(a: number, b: number, c: number, d: number, e: number, f: number): void;
}

/** What we use of a canvas node from `SelectorQuery.fields({node: true})`. */
export interface CanvasNode {
  width: number;
  height: number;
  getContext(type: '2d'): Context2d;
}

/** The legacy CanvasContext calls weapp-qrcode makes, forwarded to a 2d context. */
export class LegacyContextAdapter implements LegacyCanvasContext {
  constructor(private readonly ctx: Context2d) {}
  setFillStyle(style: string): void {
    this.ctx.fillStyle = style;
  }
  fillRect(x: number, y: number, width: number, height: number): void {
    this.ctx.fillRect(x, y, width, height);
  }
  drawImage(): void {
    // We pass no logo image; a 2d context would need an Image object rather than a path anyway.
  }
  draw(_reserve?: boolean, callback?: (result?: unknown) => void): void {
    // A 2d context paints immediately; keep the legacy contract that the callback comes later.
    if (callback) setTimeout(() => callback(), 0);
  }
}

/** QR error correction level M (weapp-qrcode's QRErrorCorrectLevel.M): 15 % recovery, larger modules than H. */
const CORRECT_LEVEL_M = 0;
/** White border around the code, as a fraction of its side (scanners want a quiet zone). */
const QUIET_ZONE = 0.08;

/**
 * Draws `text` as a QR code filling a `cssSize`-pixel square canvas at `pixelRatio`.
 * Resolves when drawn.
 */
export function drawQr(canvas: CanvasNode, text: string, cssSize: number, pixelRatio: number): Promise<void> {
  const ratio = pixelRatio > 0 ? pixelRatio : 1;
  canvas.width = Math.round(cssSize * ratio);
  canvas.height = Math.round(cssSize * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform?.(1, 0, 0, 1, 0, 0);
  ctx.scale(ratio, ratio);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, cssSize, cssSize);
  const margin = Math.round(cssSize * QUIET_ZONE);
  const side = cssSize - 2 * margin;
  return new Promise((resolve) => {
    drawQrcode({
      ctx: new LegacyContextAdapter(ctx),
      text,
      width: side,
      height: side,
      x: margin,
      y: margin,
      typeNumber: -1,
      correctLevel: CORRECT_LEVEL_M,
      background: '#ffffff',
      foreground: '#000000',
      callback: () => resolve(),
    });
  });
}

/** The screen's device pixel ratio (2 when WeChat does not say). */
export function pixelRatio(): number {
  try {
    return typeof wx.getWindowInfo === 'function'
      ? wx.getWindowInfo().pixelRatio
      : wx.getSystemInfoSync().pixelRatio;
  } catch {
    return 2;
  }
}

/** The node of the `<canvas type="2d">` matching `selector` on `page`, or null. */
export function queryCanvas(
  page: WechatMiniprogram.Page.TrivialInstance,
  selector: string,
): Promise<CanvasNode | null> {
  return new Promise((resolve) => {
    wx.createSelectorQuery()
      .in(page)
      .select(selector)
      .fields({ node: true, size: true })
      .exec((res: { node?: CanvasNode }[]) => resolve(res?.[0]?.node ?? null));
  });
}
