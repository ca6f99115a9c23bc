import Foundation

/// The byte layout of a `.crm` file (all integers little-endian):
///
///     0..<8    magic 0x89 'C' 'R' 'M' '\r' '\n' 0x1A '\n'
///     8..<12   UInt32 format version
///     12..<16  UInt32 CRC32 of the header JSON
///     16..<24  UInt64 length of the header JSON
///     24...    header JSON (UTF-8, sorted keys), zero padding to a multiple of 64,
///              then each tensor blob at a 64-byte-aligned offset, zero padding between,
///              the file ending after the last blob's padding to 64.
///
/// The magic is PNG's idea: the high byte catches 7-bit transfers, `\r\n` and `\n` catch
/// line-ending conversion, and 0x1A stops `type` on DOS. Alignment lets a mapped file's
/// tensors be used in place by SIMD code.
enum ModelFileLayout {
  static let magic: [UInt8] = [0x89, 0x43, 0x52, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
  /// Bytes before the header JSON.
  static let prefixLength = 24
  static let alignment = 64

  /// `n` rounded up to a multiple of `alignment`.
  static func aligned(_ n: Int) -> Int {
    (n + alignment - 1) / alignment * alignment
  }

  /// The header JSON's encoder: sorted keys, so the same model gives the same bytes; a
  /// non-finite number (say a diverged loss in the metadata) is written as the string "NaN",
  /// "Infinity" or "-Infinity" rather than failing the save at the end of a training run.
  static func makeEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return encoder
  }
}

/// The header JSON, as stored.
struct ModelFileHeader: Codable {
  var formatVersion: UInt32
  var kind: String
  var hyperParameters: [String: JSONValue]
  var dataFingerprint: String
  var userIDs: [String]
  var itemIDs: [String]
  /// Set (and the id list left empty) when the ids are exactly "0", "1", ... in order: a
  /// data set whose ids are already dense indices stores no id list (Gowalla's take 0.6 MB).
  var userCount: Int?
  var itemCount: Int?
  var metadata: [String: JSONValue]
  /// Total bytes of the file.
  var fileLength: Int
  var tensors: [Entry]

  /// One tensor's directory entry.
  struct Entry: Codable {
    var name: String
    var type: TensorType
    var shape: [Int]
    /// Absolute offset of the first byte, a multiple of 64.
    var offset: Int
    /// Bytes, `elementCount * type.byteWidth` (padding excluded).
    var length: Int
    var crc32: UInt32
  }
}
