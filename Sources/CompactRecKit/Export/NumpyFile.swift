/// Writes NumPy `.npy` files (format version 1.0), which `numpy.load` reads without pickling,
/// so that other engines (FAISS, Milvus, Qdrant, pandas) can take a model's vectors.
///
/// Layout: the magic `\x93NUMPY`, version bytes 1 and 0, a little-endian UInt16 header
/// length, then an ASCII Python dict `{'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }`
/// padded with spaces and ended by `\n` so that the data starts at a multiple of 64 bytes,
/// then the elements in C (row-major) order. Files are written atomically (`AtomicFile`).
public enum NumpyFile {
  /// Writes float32 `values` with `shape` (little-endian `<f4`). Precondition: the shape's
  /// product is `values.count`.
  public static func write(float32 values: [Float], shape: [Int], to path: String) throws {
    precondition(shape.reduce(1, *) == values.count, "shape does not match the values")
    try AtomicFile.write(to: path) { out in
      try out.write(header(descr: "<f4", shape: shape))
      try values.withUnsafeBytes { try out.write($0) }
    }
  }

  /// Writes bytes `values` with `shape` as `|u1` (uint8). Precondition: the shape's product is
  /// `values.count`.
  public static func write(uint8 values: [UInt8], shape: [Int], to path: String) throws {
    precondition(shape.reduce(1, *) == values.count, "shape does not match the values")
    try AtomicFile.write(to: path) { out in
      try out.write(header(descr: "|u1", shape: shape))
      try out.write(values)
    }
  }

  /// The magic, version, header length and padded header dict for `descr` and `shape`.
  static func header(descr: String, shape: [Int]) -> [UInt8] {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }".utf8)
    let preamble = 10
    let total = (preamble + dict.count + 1 + 63) / 64 * 64
    dict += [UInt8](repeating: 0x20, count: total - preamble - dict.count - 1) + [0x0A]
    let length = UInt16(dict.count)
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + dict
  }
}
