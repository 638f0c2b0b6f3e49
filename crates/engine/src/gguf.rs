//! GGUF container reading. Every count, length, offset and size is checked
//! against the bytes that are actually there before it is used, so a
//! truncated or hostile file yields an [`Error::Gguf`] and never a panic or
//! an allocation larger than the file itself.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};

mod ggml_type;
pub use ggml_type::GgmlType;

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
const MAX_DIMS: u32 = 4;
const MAX_ARRAY_NESTING: u32 = 4;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    U64(u64),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    String(String),
    Array(Vec<Value>),
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v.into()),
            Value::U16(v) => Some(v.into()),
            Value::U32(v) => Some(v.into()),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v.into()),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Where a tensor lives in the file and what it holds.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    pub name: String,
    /// GGML order: `dims[0]` is the row length.
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    /// Absolute byte offset in the file.
    pub offset: usize,
    pub size: usize,
}

impl TensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// The parsed header of a GGUF file: metadata and tensor directory.
#[derive(Debug, Clone)]
pub struct Header {
    pub version: u32,
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    pub data_offset: usize,
    index: HashMap<String, usize>,
    meta_index: HashMap<String, usize>,
}

impl Header {
    /// Parses and validates a whole GGUF file held in memory.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader { buf: bytes, pos: 0 };
        let magic = r.take(4)?;
        if magic != MAGIC {
            return Err(Error::gguf("not a GGUF file (bad magic)"));
        }
        let version = r.u32()?;
        if !(2..=3).contains(&version) {
            return Err(Error::gguf(format!(
                "unsupported GGUF version {version} (supported: 2, 3)"
            )));
        }
        let n_tensors = r.u64()?;
        let n_kv = r.u64()?;
        // A key/value pair takes at least 13 bytes, a tensor entry at least 24.
        r.check_count(n_kv, 13, "metadata count")?;
        r.check_count(n_tensors, 24, "tensor count")?;

        let mut metadata = Vec::with_capacity(n_kv as usize);
        let mut meta_index = HashMap::with_capacity(n_kv as usize);
        for _ in 0..n_kv {
            let key = r.string()?;
            let ty = r.u32()?;
            let value = r.value(ty, 0)?;
            if meta_index.insert(key.clone(), metadata.len()).is_some() {
                return Err(Error::gguf(format!("duplicate metadata key `{key}`")));
            }
            metadata.push((key, value));
        }

        let alignment = match meta_index.get("general.alignment") {
            Some(&i) => metadata[i]
                .1
                .as_u64()
                .filter(|a| a.is_power_of_two() && *a <= 1 << 16)
                .ok_or_else(|| {
                    Error::gguf("general.alignment must be a power of two up to 65536")
                })?,
            None => DEFAULT_ALIGNMENT,
        };

        let mut raw = Vec::with_capacity(n_tensors as usize);
        for _ in 0..n_tensors {
            let name = r.string()?;
            let n_dims = r.u32()?;
            if n_dims == 0 || n_dims > MAX_DIMS {
                return Err(Error::gguf(format!(
                    "tensor `{name}` has {n_dims} dimensions (1 to 4 allowed)"
                )));
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(r.u64()?);
            }
            let ty_id = r.u32()?;
            let offset = r.u64()?;
            raw.push((name, dims, ty_id, offset));
        }

        let data_offset = (r.pos as u64).div_ceil(alignment) * alignment;
        let file_len = bytes.len() as u64;
        if data_offset > file_len {
            return Err(Error::gguf("file ends before the tensor data"));
        }
        let mut tensors = Vec::with_capacity(raw.len());
        let mut index = HashMap::with_capacity(raw.len());
        for (name, dims, ty_id, offset) in raw {
            let ty = GgmlType::from_id(ty_id).map_err(|_| {
                Error::gguf(format!("tensor `{name}` has unsupported type {ty_id}"))
            })?;
            let mut n: u64 = 1;
            for &d in &dims {
                if d == 0 {
                    return Err(Error::gguf(format!("tensor `{name}` has a zero dimension")));
                }
                n = n
                    .checked_mul(d)
                    .filter(|&n| n <= file_len.saturating_mul(8))
                    .ok_or_else(|| {
                        Error::gguf(format!("tensor `{name}` has an absurd shape {dims:?}"))
                    })?;
            }
            if dims[0] % ty.block_len() as u64 != 0 {
                return Err(Error::gguf(format!(
                    "tensor `{name}`: row length {} is not a multiple of the {} block size {}",
                    dims[0],
                    ty.name(),
                    ty.block_len()
                )));
            }
            let size = n / ty.block_len() as u64 * ty.block_bytes() as u64;
            if offset % alignment != 0 {
                return Err(Error::gguf(format!(
                    "tensor `{name}` offset {offset} is not aligned to {alignment}"
                )));
            }
            let start = data_offset
                .checked_add(offset)
                .ok_or_else(|| Error::gguf(format!("tensor `{name}` offset overflows")))?;
            let end = start
                .checked_add(size)
                .filter(|&e| e <= file_len)
                .ok_or_else(|| {
                    Error::gguf(format!(
                        "tensor `{name}` ({size} bytes at offset {offset}) lies beyond the end of the file"
                    ))
                })?;
            debug_assert!(end <= file_len);
            if index.insert(name.clone(), tensors.len()).is_some() {
                return Err(Error::gguf(format!("duplicate tensor `{name}`")));
            }
            tensors.push(TensorInfo {
                name,
                dims,
                ty,
                offset: start as usize,
                size: size as usize,
            });
        }
        Ok(Self {
            version,
            metadata,
            tensors,
            alignment,
            data_offset: data_offset as usize,
            index,
            meta_index,
        })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.meta_index.get(key).map(|&i| &self.metadata[i].1)
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.index.get(name).map(|&i| &self.tensors[i])
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }

    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }

    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
}

/// A GGUF file mapped into memory with its validated header.
#[derive(Debug)]
pub struct GgufFile {
    pub header: Header,
    map: Arc<memmap2::Mmap>,
}

impl GgufFile {
    pub fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY-free by design: memmap2's `map` is unsafe only because another
        // process may change the file; the workspace forbids `unsafe` here, so
        // the mapping is created through the kernel module.
        let map = crate::mapping::map_file(&file).map_err(io)?;
        let header = Header::parse(&map)?;
        Ok(Self {
            header,
            map: Arc::new(map),
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    pub fn shared_map(&self) -> Arc<memmap2::Mmap> {
        Arc::clone(&self.map)
    }

    pub fn tensor_bytes(&self, t: &TensorInfo) -> &[u8] {
        // Bounds were checked against the file length in `Header::parse`.
        &self.map[t.offset..t.offset + t.size]
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::gguf(format!(
                "file truncated: need {n} bytes at offset {}, {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn check_count(&self, count: u64, min_each: u64, what: &str) -> Result<()> {
        match count.checked_mul(min_each) {
            Some(need) if need <= self.remaining() as u64 => Ok(()),
            _ => Err(Error::gguf(format!(
                "{what} {count} cannot fit in the {} bytes left",
                self.remaining()
            ))),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn string(&mut self) -> Result<String> {
        let len = self.u64()?;
        if len > self.remaining() as u64 {
            return Err(Error::gguf(format!(
                "string of {len} bytes at offset {} runs past the end of the file",
                self.pos
            )));
        }
        let bytes = self.take(len as usize)?;
        // Some converters wrote invalid UTF-8 into vocabularies; keep going
        // with replacement characters rather than reject the whole model.
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }

    fn min_size(ty: u32) -> Result<u64> {
        Ok(match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            8 => 8,
            9 => 12,
            10..=12 => 8,
            other => return Err(Error::gguf(format!("unknown metadata value type {other}"))),
        })
    }

    fn value(&mut self, ty: u32, depth: u32) -> Result<Value> {
        Ok(match ty {
            0 => Value::U8(self.array::<1>()?[0]),
            1 => Value::I8(self.array::<1>()?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.array()?)),
            3 => Value::I16(i16::from_le_bytes(self.array()?)),
            4 => Value::U32(self.u32()?),
            5 => Value::I32(i32::from_le_bytes(self.array()?)),
            6 => Value::F32(f32::from_le_bytes(self.array()?)),
            7 => match self.array::<1>()?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(Error::gguf(format!("invalid bool byte {b}"))),
            },
            8 => Value::String(self.string()?),
            9 => {
                if depth >= MAX_ARRAY_NESTING {
                    return Err(Error::gguf("metadata arrays nested too deeply"));
                }
                let elem_ty = self.u32()?;
                let count = self.u64()?;
                self.check_count(count, Self::min_size(elem_ty)?, "array length")?;
                let mut items = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    items.push(self.value(elem_ty, depth + 1)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64()?),
            11 => Value::I64(i64::from_le_bytes(self.array()?)),
            12 => Value::F64(f64::from_le_bytes(self.array()?)),
            other => return Err(Error::gguf(format!("unknown metadata value type {other}"))),
        })
    }
}

/// Writes GGUF files; used by the synthetic model generator and by tests
/// that need small hand-made files.
pub mod write {
    use std::io::{self, Write};

    use super::{GgmlType, Value};

    pub fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
        w.write_all(&(s.len() as u64).to_le_bytes())?;
        w.write_all(s.as_bytes())
    }

    fn type_id(v: &Value) -> u32 {
        match v {
            Value::U8(_) => 0,
            Value::I8(_) => 1,
            Value::U16(_) => 2,
            Value::I16(_) => 3,
            Value::U32(_) => 4,
            Value::I32(_) => 5,
            Value::F32(_) => 6,
            Value::Bool(_) => 7,
            Value::String(_) => 8,
            Value::Array(_) => 9,
            Value::U64(_) => 10,
            Value::I64(_) => 11,
            Value::F64(_) => 12,
        }
    }

    fn payload(w: &mut impl Write, v: &Value) -> io::Result<()> {
        match v {
            Value::U8(x) => w.write_all(&[*x]),
            Value::I8(x) => w.write_all(&x.to_le_bytes()),
            Value::U16(x) => w.write_all(&x.to_le_bytes()),
            Value::I16(x) => w.write_all(&x.to_le_bytes()),
            Value::U32(x) => w.write_all(&x.to_le_bytes()),
            Value::I32(x) => w.write_all(&x.to_le_bytes()),
            Value::U64(x) => w.write_all(&x.to_le_bytes()),
            Value::I64(x) => w.write_all(&x.to_le_bytes()),
            Value::F32(x) => w.write_all(&x.to_le_bytes()),
            Value::F64(x) => w.write_all(&x.to_le_bytes()),
            Value::Bool(x) => w.write_all(&[u8::from(*x)]),
            Value::String(s) => string(w, s),
            Value::Array(items) => {
                let elem = items.first().map_or(4, type_id);
                w.write_all(&elem.to_le_bytes())?;
                w.write_all(&(items.len() as u64).to_le_bytes())?;
                items.iter().try_for_each(|i| payload(w, i))
            }
        }
    }

    pub struct TensorSpec {
        pub name: String,
        pub dims: Vec<u64>,
        pub ty: GgmlType,
    }

    impl TensorSpec {
        pub fn bytes(&self) -> usize {
            let n: u64 = self.dims.iter().product();
            n as usize / self.ty.block_len() * self.ty.block_bytes()
        }
    }

    /// Writes the header and the padding before the tensor data; the caller
    /// then streams each tensor's bytes in order, padding each to 32 bytes
    /// with [`pad`].
    pub fn header(
        w: &mut impl Write,
        metadata: &[(String, Value)],
        tensors: &[TensorSpec],
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        buf.extend_from_slice(b"GGUF");
        buf.extend_from_slice(&3u32.to_le_bytes());
        buf.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
        buf.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
        for (k, v) in metadata {
            string(&mut buf, k)?;
            buf.extend_from_slice(&type_id(v).to_le_bytes());
            payload(&mut buf, v)?;
        }
        let mut offset = 0u64;
        for t in tensors {
            string(&mut buf, &t.name)?;
            buf.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                buf.extend_from_slice(&d.to_le_bytes());
            }
            buf.extend_from_slice(&t.ty.id().to_le_bytes());
            buf.extend_from_slice(&offset.to_le_bytes());
            offset += (t.bytes() as u64).div_ceil(32) * 32;
        }
        let pad = buf.len().div_ceil(32) * 32 - buf.len();
        buf.resize(buf.len() + pad, 0);
        w.write_all(&buf)
    }

    pub fn pad(w: &mut impl Write, written: usize) -> io::Result<()> {
        let pad = written.div_ceil(32) * 32 - written;
        w.write_all(&vec![0u8; pad])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_file() -> Vec<u8> {
        let mut out = Vec::new();
        let meta = vec![
            (
                "general.architecture".to_string(),
                Value::String("llama".into()),
            ),
            (
                "a.list".to_string(),
                Value::Array(vec![Value::U32(1), Value::U32(2)]),
            ),
        ];
        let tensors = vec![write::TensorSpec {
            name: "w".into(),
            dims: vec![32, 2],
            ty: GgmlType::Q8_0,
        }];
        write::header(&mut out, &meta, &tensors).unwrap();
        out.extend_from_slice(&[0u8; 68]);
        write::pad(&mut out, 68).unwrap();
        out
    }

    #[test]
    fn a_written_file_parses_back_with_its_metadata_and_tensors() {
        let bytes = tiny_file();
        let h = Header::parse(&bytes).unwrap();
        assert_eq!(h.get_str("general.architecture"), Some("llama"));
        let t = h.tensor("w").unwrap();
        assert_eq!(t.size, 68);
        assert_eq!(t.ty, GgmlType::Q8_0);
    }

    #[test]
    fn every_truncation_of_a_valid_file_is_an_error_not_a_panic() {
        let bytes = tiny_file();
        let needed = Header::parse(&bytes).unwrap().data_offset + 68;
        for len in 0..needed {
            assert!(Header::parse(&bytes[..len]).is_err(), "len {len}");
        }
    }

    #[test]
    fn an_absurd_array_length_is_rejected_before_allocation() {
        let mut b = Vec::new();
        b.extend_from_slice(b"GGUF");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        write::string(&mut b, "k").unwrap();
        b.extend_from_slice(&9u32.to_le_bytes());
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        let err = Header::parse(&b).unwrap_err().to_string();
        assert!(err.contains("array length"), "{err}");
    }

    #[test]
    fn a_tensor_beyond_the_end_of_the_file_is_rejected() {
        let mut bytes = tiny_file();
        bytes.truncate(bytes.len() - 40);
        let err = Header::parse(&bytes).unwrap_err().to_string();
        assert!(err.contains("beyond the end"), "{err}");
    }
}
