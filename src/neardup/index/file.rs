//! Saving and loading an [`Index`]; the format is documented in the
//! [`index`](super) module docs.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::layout;
use super::{Index, IndexBuilder, Item};
use crate::{Error, Result};

const MAGIC: [u8; 8] = *b"SPSFTIDX";
const VERSION: u32 = 1;
const HEADER_LEN: u64 = 32;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
/// Items read per call; also the most memory a header can make us reserve
/// before the data behind it has been read.
const CHUNK_ITEMS: usize = 1 << 14;

/// Word-wise FNV-1a 64; `bytes.len()` is a multiple of 8.
fn checksum(mut h: u64, bytes: &[u8]) -> u64 {
    for w in bytes.chunks_exact(8) {
        let w = u64::from_le_bytes(w.try_into().expect("chunks of 8"));
        h = (h ^ w).wrapping_mul(FNV_PRIME);
    }
    h
}

fn memory_path() -> PathBuf {
    PathBuf::from("<memory>")
}

struct Writer<W: Write> {
    w: W,
    hash: u64,
    path: PathBuf,
}

impl<W: Write> Writer<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.hash = checksum(self.hash, bytes);
        self.w.write_all(bytes).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
}

struct Reader<R: Read> {
    r: R,
    offset: u64,
    hash: u64,
    path: PathBuf,
}

impl<R: Read> Reader<R> {
    fn corrupt(&self, message: String) -> Error {
        Error::CorruptIndex {
            path: self.path.clone(),
            message,
        }
    }

    /// Reads `buf.len()` bytes, or fails naming `what` and where the data ended.
    fn take(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        let start = self.offset;
        let mut got = 0;
        while got < buf.len() {
            match self.r.read(&mut buf[got..]) {
                Ok(0) => {
                    return Err(self.corrupt(format!(
                        "truncated: {what} at byte offset {start} needs {} bytes, \
                         the data ends at byte offset {}",
                        buf.len(),
                        start + got as u64
                    )));
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Io {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
        self.offset += buf.len() as u64;
        Ok(())
    }

    fn hashed(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.take(buf, what)?;
        self.hash = checksum(self.hash, buf);
        Ok(())
    }
}

impl Index {
    /// Writes the index to a file in the format described in the
    /// [`index`](super) module docs, replacing the file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming `path` when the file cannot be created or written.
    pub fn save<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::create(path).map_err(io)?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        self.write_impl(&mut w, path.to_path_buf())?;
        w.flush().map_err(io)
    }

    /// Writes the index to any writer (buffered internally).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] with the path `<memory>` when the writer fails.
    pub fn write_to<W: Write>(&self, w: W) -> Result<()> {
        let mut w = BufWriter::with_capacity(1 << 16, w);
        self.write_impl(&mut w, memory_path())?;
        w.flush().map_err(|source| Error::Io {
            path: memory_path(),
            source,
        })
    }

    fn write_impl<W: Write>(&self, w: W, path: PathBuf) -> Result<()> {
        let items = self.to_items();
        let mut w = Writer {
            w,
            hash: FNV_OFFSET,
            path,
        };
        let mut header = [0u8; HEADER_LEN as usize];
        header[0..8].copy_from_slice(&MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_le_bytes());
        header[12..16].copy_from_slice(&self.max_distance().to_le_bytes());
        header[16..20].copy_from_slice(&self.blocks().to_le_bytes());
        header[24..32].copy_from_slice(&(items.len() as u64).to_le_bytes());
        w.put(&header)?;
        let mut buf = Vec::with_capacity(CHUNK_ITEMS * 16);
        for chunk in items.chunks(CHUNK_ITEMS) {
            buf.clear();
            for it in chunk {
                buf.extend_from_slice(&it.fingerprint.to_le_bytes());
                buf.extend_from_slice(&it.id.to_le_bytes());
            }
            w.put(&buf)?;
        }
        let sum = w.hash;
        w.w.write_all(&sum.to_le_bytes())
            .map_err(|source| Error::Io {
                path: w.path.clone(),
                source,
            })
    }

    /// Loads an index saved with [`save`](Self::save), using all cores to
    /// rebuild the tables.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read; [`Error::CorruptIndex`]
    /// naming the problem and its byte offset when the file is truncated, has
    /// trailing bytes, a wrong magic, an unknown version, invalid parameters, a
    /// count that does not match the file length, items out of order or a wrong
    /// checksum.
    pub fn load<P: AsRef<Path>>(path: P) -> Result<Index> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        read_impl(
            BufReader::with_capacity(1 << 16, file),
            path.to_path_buf(),
            Some(len),
        )
    }

    /// Loads an index from any reader, reading exactly the saved bytes.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load), with the path `<memory>`; the reader's length
    /// is unknown, so a count too large for the data is found when the data
    /// ends, without allocating for it beforehand.
    pub fn read_from<R: Read>(r: R) -> Result<Index> {
        read_impl(r, memory_path(), None)
    }
}

fn read_impl<R: Read>(r: R, path: PathBuf, file_len: Option<u64>) -> Result<Index> {
    let mut r = Reader {
        r,
        offset: 0,
        hash: FNV_OFFSET,
        path,
    };
    let mut header = [0u8; HEADER_LEN as usize];
    r.hashed(&mut header, "the 32-byte header")?;
    let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    if header[0..8] != MAGIC {
        return Err(r.corrupt(format!(
            "bad magic {:?} at byte offset 0, expected {:?}",
            String::from_utf8_lossy(&header[0..8]),
            String::from_utf8_lossy(&MAGIC)
        )));
    }
    let version = word(8);
    if version != VERSION {
        return Err(r.corrupt(format!(
            "unknown version {version} at byte offset 8, this build reads version {VERSION}"
        )));
    }
    let (max_distance, blocks) = (word(12), word(16));
    if let Err(e) = layout::check(max_distance, blocks) {
        let detail = match e {
            Error::Config(m) => m,
            other => other.to_string(),
        };
        return Err(r.corrupt(format!("invalid parameters at byte offset 12: {detail}")));
    }
    if word(20) != 0 {
        return Err(r.corrupt(format!(
            "reserved field {} at byte offset 20, expected 0",
            word(20)
        )));
    }
    let count = u64::from_le_bytes(header[24..32].try_into().expect("8 bytes"));
    let expected_len = count
        .checked_mul(16)
        .and_then(|n| n.checked_add(HEADER_LEN + 8));
    let Some(expected_len) = expected_len.filter(|&n| n <= i64::MAX as u64) else {
        return Err(r.corrupt(format!("absurd count {count} at byte offset 24")));
    };
    if let Some(len) = file_len
        && len != expected_len
    {
        return Err(r.corrupt(format!(
            "count {count} at byte offset 24 needs {expected_len} bytes, the file has {len}"
        )));
    }
    let count = usize::try_from(count).map_err(|_| {
        r.corrupt(format!(
            "count {count} at byte offset 24 does not fit in memory"
        ))
    })?;
    let mut items: Vec<Item> = Vec::with_capacity(count.min(CHUNK_ITEMS));
    let mut buf = vec![0u8; CHUNK_ITEMS * 16];
    let mut disorder = None;
    let mut left = count;
    while left > 0 {
        let n = left.min(CHUNK_ITEMS);
        let start = r.offset;
        r.hashed(&mut buf[..n * 16], "items")?;
        for (i, b) in buf[..n * 16].chunks_exact(16).enumerate() {
            let it = Item::new(
                u64::from_le_bytes(b[0..8].try_into().expect("8 bytes")),
                u64::from_le_bytes(b[8..16].try_into().expect("8 bytes")),
            );
            if disorder.is_none() && items.last().is_some_and(|&last| last > it) {
                disorder = Some(start + 16 * i as u64);
            }
            items.push(it);
        }
        left -= n;
    }
    let at = r.offset;
    let computed = r.hash;
    let stored = {
        let mut b = [0u8; 8];
        r.take(&mut b, "the checksum")?;
        u64::from_le_bytes(b)
    };
    if stored != computed {
        return Err(r.corrupt(format!(
            "checksum {stored:#018x} at byte offset {at} does not match the data's {computed:#018x}"
        )));
    }
    if let Some(at) = disorder {
        return Err(r.corrupt(format!(
            "items out of order at byte offset {at}: they must be sorted by (fingerprint, id)"
        )));
    }
    let index = IndexBuilder::new()
        .max_distance(max_distance)
        .blocks(blocks)
        .build()?;
    Ok(index.with_sorted_items(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_detects_single_word_changes() {
        let data: Vec<u8> = (0..64u8).collect();
        let base = checksum(FNV_OFFSET, &data);
        for i in 0..data.len() {
            let mut d = data.clone();
            d[i] ^= 0x80;
            assert_ne!(checksum(FNV_OFFSET, &d), base, "byte {i}");
        }
    }
}
