/// Writes FAISS index files that `faiss.read_index` and `faiss.read_index_binary` load, byte
/// for byte as FAISS's own `write_index` lays them out (`faiss/impl/index_write.cpp`; all
/// integers little-endian):
///
/// - `IxMp` (IndexIDMap): fourcc, the index header, the wrapped index, then the ids as a
///   vector (UInt64 count, Int64 each).
/// - `IxFI` (IndexFlat, inner product): fourcc, the index header, then the vectors as a
///   vector of floats (UInt64 count n x d, Float32 each).
/// - Index header: d Int32, ntotal Int64, two Int64 of 2^20 (unused fields), is_trained
///   UInt8, metric type Int32 (0 inner product, 1 L2).
/// - `IBMp` (IndexBinaryIDMap) and `IBxF` (IndexBinaryFlat): the same shape with the binary
///   header (d Int32 in bits, code size Int32 in bytes, ntotal Int64, is_trained UInt8,
///   metric type Int32 = 1) and the codes as a vector of bytes (UInt64 count, bytes).
///
/// Files are written atomically (`AtomicFile`).
public enum FaissIndexFile {
  /// An `IndexIDMap` over an `IndexFlatIP` of the rows of `vectors`, with `ids` (one per row).
  public static func writeFlatInnerProduct(_ vectors: Matrix, ids: [Int64], to path: String) throws {
    precondition(ids.count == vectors.rows, "one id per vector")
    var out = LittleEndianBytes()
    out.fourcc("IxMp")
    indexHeader(&out, dim: vectors.cols, count: vectors.rows)
    out.fourcc("IxFI")
    indexHeader(&out, dim: vectors.cols, count: vectors.rows)
    out.append(UInt64(vectors.storage.count))
    let head = out.bytes
    var tail = LittleEndianBytes()
    tail.append(UInt64(ids.count))
    for id in ids { tail.append(UInt64(bitPattern: id)) }
    try AtomicFile.write(to: path) { file in
      try file.write(head)
      try vectors.storage.withUnsafeBytes { try file.write($0) }
      try file.write(tail.bytes)
    }
  }

  /// An `IndexBinaryIDMap` over an `IndexBinaryFlat` of `codes` (`bytesPerCode` bytes per row,
  /// `dim` bits), with `ids` (one per row).
  public static func writeBinaryFlat(codes: [UInt8], bytesPerCode: Int, dim: Int, ids: [Int64], to path: String) throws
  {
    precondition(codes.count == ids.count * bytesPerCode && dim == bytesPerCode * 8, "codes do not match")
    var out = LittleEndianBytes()
    out.fourcc("IBMp")
    binaryHeader(&out, dim: dim, bytesPerCode: bytesPerCode, count: ids.count)
    out.fourcc("IBxF")
    binaryHeader(&out, dim: dim, bytesPerCode: bytesPerCode, count: ids.count)
    out.append(UInt64(codes.count))
    out.bytes += codes
    out.append(UInt64(ids.count))
    for id in ids { out.append(UInt64(bitPattern: id)) }
    try AtomicFile.write(out.bytes, to: path)
  }

  private static func indexHeader(_ out: inout LittleEndianBytes, dim: Int, count: Int) {
    out.append(UInt32(truncatingIfNeeded: dim))
    out.append(UInt64(count))
    out.append(UInt64(1 << 20))
    out.append(UInt64(1 << 20))
    out.bytes.append(1)  // is_trained
    out.append(UInt32(0))  // METRIC_INNER_PRODUCT
  }

  private static func binaryHeader(_ out: inout LittleEndianBytes, dim: Int, bytesPerCode: Int, count: Int) {
    out.append(UInt32(truncatingIfNeeded: dim))
    out.append(UInt32(truncatingIfNeeded: bytesPerCode))
    out.append(UInt64(count))
    out.bytes.append(1)  // is_trained
    out.append(UInt32(1))  // METRIC_L2, as IndexBinary records it
  }
}

/// Bytes assembled in little-endian order.
struct LittleEndianBytes {
  var bytes: [UInt8] = []

  mutating func append<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  /// A FAISS four-character code, first character in the lowest byte.
  mutating func fourcc(_ code: String) {
    precondition(code.utf8.count == 4, "a fourcc has four characters")
    bytes += Array(code.utf8)
  }
}
