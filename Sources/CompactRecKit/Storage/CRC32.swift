/// CRC-32 (IEEE 802.3 polynomial 0x04C11DB7, reflected as 0xEDB88320), the checksum of zlib's
/// `crc32`, gzip and PNG.
///
/// Model files store one per tensor and one for the header, so a damaged byte anywhere is
/// reported instead of silently loading wrong weights. The implementation is slicing-by-8:
/// eight 256-entry tables (built once, on first use) let each step consume 8 bytes with 8
/// independent table look-ups, several times faster than the byte-at-a-time loop.
public enum CRC32 {
  /// The CRC-32 of `bytes`. O(n).
  ///
  /// `initial` is the checksum of the bytes that came before, so a stream can be checksummed in
  /// pieces: `checksum(b, initial: checksum(a))` equals the checksum of `a` followed by `b`
  /// (the same contract as zlib's `crc32(crc, buf, len)`). The empty input gives `initial`.
  public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
    guard var p = bytes.baseAddress, bytes.count > 0 else { return initial }
    var remaining = bytes.count
    var crc = ~initial
    tables.withUnsafeBufferPointer { t in
      let t = t.baseAddress!
      // Slicing-by-8: fold the CRC into the first 4 bytes, then look up all 8 bytes at once;
      // table k holds the effect of a byte followed by k zero bytes.
      while remaining >= 8 {
        let lo = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ crc
        let hi = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        crc =
          t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
          ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
          ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
          ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
        p += 8
        remaining -= 8
      }
      while remaining > 0 {
        crc = t[Int((crc ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
        p += 1
        remaining -= 1
      }
    }
    return ~crc
  }

  /// The CRC-32 of `bytes`; see `checksum(_:initial:)`. O(n).
  public static func checksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { checksum($0, initial: initial) }
  }

  /// Eight tables of 256 entries, flattened: entry `k * 256 + b` is the CRC register after
  /// byte `b` followed by `k` zero bytes. Built once (Swift initializes statics lazily and
  /// thread-safely).
  private static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for b in 0..<256 {
      var c = UInt32(b)
      for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
      t[b] = c
    }
    for k in 1..<8 {
      for b in 0..<256 {
        let previous = t[(k - 1) * 256 + b]
        t[k * 256 + b] = t[Int(previous & 0xFF)] ^ (previous >> 8)
      }
    }
    return t
  }()
}
