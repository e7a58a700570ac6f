//! Images are never stored as sent: they are decoded (within dimension and
//! memory limits, so a small file declaring a huge canvas is refused before
//! anything is allocated), turned upright, and encoded again, which leaves
//! every byte of metadata (GPS position, camera, comments, anything hidden
//! in chunks or after the image data) behind. A thumbnail is made beside.
//! Runs on a blocking thread; the caller bounds how many run at once.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Write},
    path::Path,
};

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits,
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
};

use super::kind::Kind;

/// The widest and tallest image accepted, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// The decoder's memory budget for one image (an 8192 × 8192 RGBA canvas
/// and a little more).
const MAX_ALLOC: u64 = 300 * 1024 * 1024;
/// Thumbnails fit in this square.
pub const THUMBNAIL_SIDE: u32 = 320;
const JPEG_QUALITY: u8 = 88;

/// What became of an image.
#[derive(Debug)]
pub struct Reencoded {
    /// The kind stored: JPEG stays JPEG, opaque WebP becomes JPEG, the
    /// rest PNG (a GIF keeps its first frame).
    pub kind: Kind,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub thumbnail_size: u64,
}

/// Why an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("the image is larger than {MAX_SIDE} × {MAX_SIDE} pixels")]
    TooLarge,
    #[error("the file is not a readable image ({0})")]
    Unreadable(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<image::ImageError> for Refused {
    fn from(e: image::ImageError) -> Refused {
        match e {
            image::ImageError::Limits(_) => Refused::TooLarge,
            image::ImageError::IoError(e) => Refused::Io(e),
            other => Refused::Unreadable(other.to_string()),
        }
    }
}

/// Decodes the image of `kind` at `source` and writes it, re-encoded, to
/// `out`, and its thumbnail to `thumbnail`.
pub fn reencode(kind: Kind, source: &Path, out: &Path, thumbnail: &Path) -> Result<Reencoded, Refused> {
    let format = match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Gif => ImageFormat::Gif,
        Kind::Webp => ImageFormat::WebP,
        Kind::Pdf | Kind::Text => return Err(Refused::Unreadable("not an image".into())),
    };
    let mut reader = ImageReader::new(BufReader::new(File::open(source)?));
    reader.set_format(format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    let stored = match kind {
        Kind::Jpeg => Kind::Jpeg,
        Kind::Webp if !image.has_alpha() => Kind::Jpeg,
        _ => Kind::Png,
    };
    let size = write(&image, stored, out)?;
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    let thumbnail_size = write(&small, thumbnail_kind(stored), thumbnail)?;
    Ok(Reencoded {
        kind: stored,
        width: image.width(),
        height: image.height(),
        size,
        thumbnail_size,
    })
}

/// Thumbnails of JPEGs are JPEGs; of anything else (transparency,
/// perhaps) PNGs.
pub fn thumbnail_kind(stored: Kind) -> Kind {
    if stored == Kind::Jpeg { Kind::Jpeg } else { Kind::Png }
}

/// Encodes `image` as `kind` into the file `path`; its size.
fn write(image: &DynamicImage, kind: Kind, path: &Path) -> Result<u64, Refused> {
    let mut file = BufWriter::new(File::create(path)?);
    match kind {
        Kind::Jpeg => {
            // JPEG has no alpha channel, and takes 8 bits per channel.
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut file, JPEG_QUALITY))?;
        }
        _ => image.write_with_encoder(PngEncoder::new(&mut file))?,
    }
    file.flush()?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    Ok(file.metadata()?.len())
}
