/** Types for weapp-qrcode 1.0.0 (the package ships none). It draws through the old canvas API. */
declare module 'weapp-qrcode' {
  /** The subset of the legacy CanvasContext (wx.createCanvasContext) that drawQrcode calls. */
  export interface LegacyCanvasContext {
    setFillStyle(style: string): void;
    fillRect(x: number, y: number, width: number, height: number): void;
    drawImage(image: string, dx: number, dy: number, dWidth: number, dHeight: number): void;
    draw(reserve?: boolean, callback?: (result?: unknown) => void): void;
  }
  export interface DrawQrcodeOptions {
    text: string;
    width?: number;
    height?: number;
    x?: number;
    y?: number;
    /** -1 = the smallest version that fits. */
    typeNumber?: number;
    /** QRErrorCorrectLevel: L = 1, M = 0, Q = 3, H = 2 (the default). */
    correctLevel?: number;
    background?: string;
    foreground?: string;
    ctx?: LegacyCanvasContext;
    canvasId?: string;
    callback?: (result?: unknown) => void;
  }
  export default function drawQrcode(options: DrawQrcodeOptions): void;
}
