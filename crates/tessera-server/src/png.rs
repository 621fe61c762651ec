//! A minimal PNG encoder for greyscale images: 8-bit for the captcha, 1-bit for QR codes;
//! nothing more is needed, and the workspace has no zlib or image crate. The image data goes
//! into zlib *stored* (not compressed) blocks, which every PNG decoder reads (RFC 1950/1951);
//! a 160×60 captcha is under 10 KiB that way, a QR code of an `otpauth://` URI about 7 KiB.

/// Encodes `pixels` (row-major, `width * height` bytes, 0 black … 255 white).
pub fn encode_grey(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let w = width as usize;
    debug_assert_eq!(pixels.len(), w * height as usize);
    let rows = pixels.chunks(w.max(1)).take(height as usize);
    encode(width, height, 8, rows.map(<[u8]>::to_vec))
}

/// Encodes a black-and-white image, one bit per pixel (`dark`, row-major, `width * height`
/// values, true for black).
pub fn encode_bilevel(width: u32, height: u32, dark: &[bool]) -> Vec<u8> {
    let w = width as usize;
    debug_assert_eq!(dark.len(), w * height as usize);
    let rows = dark.chunks(w.max(1)).take(height as usize).map(|row| {
        // Most significant bit first; 1 is white in a 1-bit greyscale PNG.
        let mut packed = vec![0u8; w.div_ceil(8)];
        for (x, &d) in row.iter().enumerate() {
            if !d {
                packed[x / 8] |= 0x80 >> (x % 8);
            }
        }
        packed
    });
    encode(width, height, 1, rows)
}

fn encode(width: u32, height: u32, depth: u8, rows: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    // Each scanline starts with its filter type: 0, none.
    let mut raw = Vec::new();
    for row in rows {
        raw.push(0);
        raw.extend_from_slice(&row);
    }
    let mut png = Vec::with_capacity(raw.len() + raw.len() / 65535 * 5 + 64);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[depth, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc32::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finish().to_be_bytes());
}

/// A zlib stream of stored deflate blocks (at most 65 535 bytes each).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF 0x78 (deflate, 32 KiB window), FLG 0x01: (0x78 << 8 | 0x01) % 31 == 0.
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that cannot overflow `b` before reducing (zlib's NMAX).
    for block in data.chunks(5552) {
        for &byte in block {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// CRC-32 (ISO 3309, the polynomial PNG uses), bit by bit: a captcha is a few KiB.
struct Crc32(u32);

impl Crc32 {
    fn new() -> Crc32 {
        Crc32(0xffff_ffff)
    }

    fn update(&mut self, data: &[u8]) {
        for &byte in data {
            self.0 ^= u32::from(byte);
            for _ in 0..8 {
                let mask = (self.0 & 1).wrapping_neg();
                self.0 = (self.0 >> 1) ^ (0xedb8_8320 & mask);
            }
        }
    }

    fn finish(&self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn checksums_match_their_reference_values() {
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        // IEND's CRC, as every PNG ends.
        let mut crc = Crc32::new();
        crc.update(b"IEND");
        assert_eq!(crc.finish(), 0xae42_6082);
    }

    /// Reads the image back the way a decoder does (chunk CRCs, zlib header, stored
    /// blocks, Adler-32) and returns IHDR and the raw scanlines.
    pub(crate) fn decode_raw(png: &[u8]) -> (Vec<u8>, Vec<u8>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let mut idat = Vec::new();
        let mut ihdr = Vec::new();
        let mut kinds = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let mut crc = Crc32::new();
            crc.update(kind);
            crc.update(data);
            let stored = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(
                crc.finish(),
                stored,
                "CRC of {:?}",
                std::str::from_utf8(kind)
            );
            if kind == b"IHDR" {
                ihdr = data.to_vec();
            }
            if kind == b"IDAT" {
                idat.extend_from_slice(data);
            }
            kinds.push(String::from_utf8(kind.to_vec()).unwrap());
            at += 12 + len;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        assert_eq!(((u16::from(idat[0]) << 8) | u16::from(idat[1])) % 31, 0);
        let mut raw = Vec::new();
        let mut p = 2;
        loop {
            let last = idat[p] & 1;
            let len = u16::from_le_bytes([idat[p + 1], idat[p + 2]]);
            let nlen = u16::from_le_bytes([idat[p + 3], idat[p + 4]]);
            assert_eq!(len, !nlen);
            raw.extend_from_slice(&idat[p + 5..p + 5 + usize::from(len)]);
            p += 5 + usize::from(len);
            if last == 1 {
                break;
            }
        }
        assert_eq!(
            u32::from_be_bytes(idat[p..p + 4].try_into().unwrap()),
            adler32(&raw)
        );
        (ihdr, raw)
    }

    /// A 1-bit image read back: `(width, height, dark)`.
    pub(crate) fn decode_bilevel(png: &[u8]) -> (u32, u32, Vec<bool>) {
        let (ihdr, raw) = decode_raw(png);
        let w = u32::from_be_bytes(ihdr[0..4].try_into().unwrap());
        let h = u32::from_be_bytes(ihdr[4..8].try_into().unwrap());
        assert_eq!(&ihdr[8..], [1, 0, 0, 0, 0], "1-bit greyscale");
        let stride = (w as usize).div_ceil(8) + 1;
        assert_eq!(raw.len(), stride * h as usize);
        let mut dark = Vec::new();
        for row in raw.chunks(stride) {
            assert_eq!(row[0], 0, "filter type none");
            for x in 0..w as usize {
                dark.push(row[1 + x / 8] & (0x80 >> (x % 8)) == 0);
            }
        }
        (w, h, dark)
    }

    #[test]
    fn an_encoded_image_decodes_to_its_pixels() {
        let (w, h) = (300u32, 250u32); // more than one stored block
        let pixels: Vec<u8> = (0..w * h).map(|i| (i * 7 % 251) as u8).collect();
        let png = encode_grey(w, h, &pixels);
        let (ihdr, raw) = decode_raw(&png);
        assert_eq!(&ihdr[..8], [w.to_be_bytes(), h.to_be_bytes()].concat());
        assert_eq!(&ihdr[8..], [8, 0, 0, 0, 0]);
        let mut back = Vec::new();
        for row in raw.chunks(w as usize + 1) {
            assert_eq!(row[0], 0, "filter type none");
            back.extend_from_slice(&row[1..]);
        }
        assert_eq!(back, pixels);
    }

    #[test]
    fn a_bilevel_image_decodes_to_its_pixels() {
        // A width that is not a multiple of 8, so the last byte of a row is partly padding.
        let (w, h) = (13u32, 5u32);
        let dark: Vec<bool> = (0..w * h).map(|i| i % 3 == 0 || i % 7 == 1).collect();
        let png = encode_bilevel(w, h, &dark);
        assert_eq!(decode_bilevel(&png), (w, h, dark));
    }
}
