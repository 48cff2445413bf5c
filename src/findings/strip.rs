//! Photos without their metadata: a shared lesson's photo must not name the enterprise through
//! its EXIF (place, device, owner), comments or text chunks. JPEG keeps its image segments (and
//! the JFIF header); PNG its image chunks. Anything else is not served as a lesson photo.

/// The content types a lesson shows.
pub const LESSON_TYPES: [&str; 2] = ["image/jpeg", "image/png"];

/// The photo without metadata, or `None` when it is not a JPEG or PNG this can read.
pub fn strip(content_type: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match content_type {
        "image/jpeg" => jpeg(bytes),
        "image/png" => png(bytes),
        _ => None,
    }
}

/// Drops APP1–APP15 (EXIF, XMP, ICC, vendor data) and comments before the image data.
fn jpeg(b: &[u8]) -> Option<Vec<u8>> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut out = vec![0xFF, 0xD8];
    let mut pos = 2;
    loop {
        if pos + 4 > b.len() || b[pos] != 0xFF {
            return None;
        }
        let marker = b[pos + 1];
        if marker == 0xFF {
            pos += 1;
            continue;
        }
        if marker == 0xDA {
            // Start of scan: the image data runs to the end.
            out.extend_from_slice(&b[pos..]);
            return Some(out);
        }
        let len = u16::from_be_bytes([b[pos + 2], b[pos + 3]]) as usize;
        let end = pos + 2 + len;
        if len < 2 || end > b.len() {
            return None;
        }
        let metadata = (0xE1..=0xEF).contains(&marker) || marker == 0xFE;
        if !metadata {
            out.extend_from_slice(&b[pos..end]);
        }
        pos = end;
    }
}

/// Drops text, time and EXIF chunks.
fn png(b: &[u8]) -> Option<Vec<u8>> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    if !b.starts_with(&SIGNATURE) {
        return None;
    }
    let mut out = SIGNATURE.to_vec();
    let mut pos = 8;
    while pos < b.len() {
        if pos + 12 > b.len() {
            return None;
        }
        let len = u32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
        let end = pos.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        let kind = &b[pos + 4..pos + 8];
        if !matches!(kind, b"tEXt" | b"iTXt" | b"zTXt" | b"eXIf" | b"tIME") {
            out.extend_from_slice(&b[pos..end]);
        }
        pos = end;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_and_comments_leave_a_jpeg_and_its_image_stays() {
        let mut photo = vec![0xFF, 0xD8];
        photo.extend([0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F']);
        photo.extend([0xFF, 0xE1, 0x00, 0x08, b'E', b'x', b'i', b'f', b'G', b'P']);
        photo.extend([0xFF, 0xFE, 0x00, 0x05, b'W', b'a', b'n']);
        photo.extend([0xFF, 0xDA, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9]);
        let out = strip("image/jpeg", &photo).unwrap();
        assert!(out.windows(4).any(|w| w == b"JFIF"));
        assert!(!out.windows(4).any(|w| w == b"Exif") && !out.windows(3).any(|w| w == b"Wan"));
        assert!(out.ends_with(&[0xFF, 0xDA, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9]));
        assert_eq!(strip("image/jpeg", &photo[..7]), None, "cut short");
        assert_eq!(strip("application/pdf", b"%PDF-1.7"), None);
    }

    #[test]
    fn text_chunks_leave_a_png() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend([0, 0, 0, 0]);
            c
        };
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Author\0Lao Wang"));
        png.extend(chunk(b"IEND", &[]));
        let out = strip("image/png", &png).unwrap();
        assert!(!out.windows(8).any(|w| w == b"Lao Wang"));
        assert!(out.windows(4).any(|w| w == b"IHDR") && out.windows(4).any(|w| w == b"IEND"));
    }
}
