import Testing

@testable import CompactRecKit

@Suite struct CRC32Tests {
  @Test func knownVectors() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum([UInt8]()) == 0)
    #expect(
      CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    // Values from zlib.crc32.
    let ramp = [UInt8]((0..<1024).map { UInt8($0 % 256) })
    #expect(CRC32.checksum(ramp) == 0xB70B_4C26)
    let mixed = [UInt8]((0..<1000).map { UInt8(($0 * 7 + 3) % 251) })
    #expect(CRC32.checksum(mixed) == 0xA2F9_2763)
  }

  @Test func emptyInputReturnsInitial() {
    #expect(CRC32.checksum([UInt8](), initial: 0x1234_5678) == 0x1234_5678)
  }

  /// Checksumming in two pieces, split anywhere, equals checksumming at once.
  @Test func incrementalEqualsWhole() {
    let bytes = [UInt8]((0..<70).map { UInt8(($0 * 31 + 5) & 0xFF) })
    let whole = CRC32.checksum(bytes)
    for split in 0...bytes.count {
      let first = CRC32.checksum(Array(bytes[..<split]))
      #expect(CRC32.checksum(Array(bytes[split...]), initial: first) == whole)
    }
  }

  /// The slicing-by-8 path agrees with the plain bitwise definition for every length and
  /// alignment of the start.
  @Test func matchesBitwiseReference() {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes.withUnsafeBytes { raw in
      for start in 0..<8 {
        for length in 0...(raw.count - start) {
          let piece = UnsafeRawBufferPointer(rebasing: raw[start..<start + length])
          #expect(CRC32.checksum(piece) == reference(piece))
        }
      }
    }
  }

  private func reference(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }
}
