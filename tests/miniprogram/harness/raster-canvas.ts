/**
 * A canvas double that really rasterizes: `fillRect` paints an RGBA buffer through the current
 * scale/translate transform, so a QR code drawn by the share page can be decoded from its pixels
 * (jsqr), exactly as a phone camera would read it off the screen.
 */

function parseColor(style: unknown): [number, number, number, number] {
  const text = String(style).trim().toLowerCase();
  let m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(text);
  if (m) return [parseInt(m[1]! + m[1]!, 16), parseInt(m[2]! + m[2]!, 16), parseInt(m[3]! + m[3]!, 16), 255];
  m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(text);
  if (m) return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), 255];
  if (text === 'white') return [255, 255, 255, 255];
  if (text === 'black') return [0, 0, 0, 255];
  throw new Error(`raster canvas: unsupported fillStyle ${text}`);
}

class RasterContext2d {
  fillStyle: unknown = '#000000';
  font = '10px sans-serif';
  textAlign = 'start';
  /** The transform: x' = a·x + e, y' = d·y + f (scale and translate are all the pages use). */
  private a = 1;
  private d = 1;
  private e = 0;
  private f = 0;
  fillRectCalls = 0;

  constructor(private readonly canvas: RasterCanvas) {}

  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void {
    if (b !== 0 || c !== 0) throw new Error('raster canvas: rotation/skew not supported');
    this.a = a;
    this.d = d;
    this.e = e;
    this.f = f;
  }

  scale(x: number, y: number): void {
    this.a *= x;
    this.d *= y;
  }

  translate(x: number, y: number): void {
    this.e += this.a * x;
    this.f += this.d * y;
  }

  /** Text is recorded, not rasterized: tests read what was written where. */
  fillText(text: string, x: number, y: number): void {
    this.canvas.texts.push({ text, x: this.a * x + this.e, y: this.d * y + this.f });
  }

  fillRect(x: number, y: number, width: number, height: number): void {
    this.fillRectCalls++;
    const [r, g, b, alpha] = parseColor(this.fillStyle);
    const x0 = Math.max(0, Math.round(this.a * x + this.e));
    const y0 = Math.max(0, Math.round(this.d * y + this.f));
    const x1 = Math.min(this.canvas.width, Math.round(this.a * (x + width) + this.e));
    const y1 = Math.min(this.canvas.height, Math.round(this.d * (y + height) + this.f));
    const { data, width: w } = this.canvas;
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const i = (py * w + px) * 4;
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
        data[i + 3] = alpha;
      }
    }
  }
}

export class RasterCanvas {
  private w = 300;
  private h = 150;
  data = new Uint8ClampedArray(this.w * this.h * 4);
  /** Every fillText since the canvas was last sized, in canvas pixels. */
  texts: { text: string; x: number; y: number }[] = [];
  private ctx: RasterContext2d | null = null;

  get width(): number {
    return this.w;
  }
  set width(value: number) {
    this.w = value;
    this.data = new Uint8ClampedArray(this.w * this.h * 4);
    this.texts = [];
  }
  get height(): number {
    return this.h;
  }
  set height(value: number) {
    this.h = value;
    this.data = new Uint8ClampedArray(this.w * this.h * 4);
    this.texts = [];
  }

  getContext(type: string): RasterContext2d {
    if (type !== '2d') throw new Error(`raster canvas: only 2d, not ${type}`);
    this.ctx ??= new RasterContext2d(this);
    return this.ctx;
  }
}
