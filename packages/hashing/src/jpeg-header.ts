/**
 * Size and component count from a JPEG's frame header (SOFn), read straight from the bytes.
 * This spares the JPEG hot path a separate metadata round trip through the decoder; libvips
 * still enforces the same pixel limit when it opens the file.
 */
export interface JpegFrame {
  width: number;
  height: number;
  /** 1 = greyscale, 3 = YCbCr/RGB, 4 = CMYK/YCCK. */
  components: number;
}

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** The frame header, or undefined when the markers before it are malformed or missing. */
export function readJpegFrame(bytes: Uint8Array): JpegFrame | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2; // markers without a length
      continue;
    }
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (i + 9 >= bytes.length || length < 8) return undefined;
      return {
        height: (bytes[i + 5] << 8) | bytes[i + 6],
        width: (bytes[i + 7] << 8) | bytes[i + 8],
        components: bytes[i + 9],
      };
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame
    i += 2 + length;
  }
  return undefined;
}
