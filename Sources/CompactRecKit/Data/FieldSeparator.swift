/// How the fields of a line are separated.
enum FieldSeparator: Equatable {
  /// Runs of spaces and tabs; no quoting. Per-user lists and space-separated files.
  case whitespace
  /// One ASCII byte such as a comma or tab. Fields are trimmed of surrounding spaces and may
  /// be double-quoted as in CSV (`"a,b"`, with `""` for a quote), within a single line.
  case byte(UInt8)

  /// The separator for a user-given delimiter: a space means whitespace runs. Throws a
  /// `DataError` naming `file` when the delimiter is not one ASCII character.
  init(delimiter: Character, file: String) throws {
    guard let byte = delimiter.asciiValue, byte != 0x0A, byte != 0x0D, byte != 0x22 else {
      throw DataError(
        file: file,
        message: "the delimiter must be one ASCII character other than a quote "
          + "or line break, found \"\(delimiter)\"")
    }
    self = byte == 0x20 ? .whitespace : .byte(byte)
  }

  /// Splits `line` into `fields` (emptied first). Returns nil, or the problem when a quoted
  /// field is malformed. O(line length).
  func split(_ line: UnsafeBufferPointer<UInt8>, into fields: inout [FieldRange]) -> SplitProblem? {
    fields.removeAll(keepingCapacity: true)
    let count = line.count
    var i = 0
    switch self {
    case .whitespace:
      while i < count {
        while i < count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
        guard i < count else { break }
        let start = i
        while i < count && line[i] != 0x20 && line[i] != 0x09 { i += 1 }
        fields.append(FieldRange(start: start, end: i, hasEscapedQuotes: false))
      }
      return nil
    case .byte(let delimiter):
      func isPadding(_ b: UInt8) -> Bool { b == 0x20 || (b == 0x09 && delimiter != 0x09) }
      while true {
        while i < count && isPadding(line[i]) { i += 1 }
        if i < count && line[i] == FieldRange.quote {
          i += 1
          let start = i
          var escaped = false
          while true {
            guard i < count else {
              return SplitProblem(column: fields.count + 1, message: "unterminated quoted field")
            }
            if line[i] == FieldRange.quote {
              guard i + 1 < count && line[i + 1] == FieldRange.quote else { break }
              escaped = true
              i += 1
            }
            i += 1
          }
          fields.append(FieldRange(start: start, end: i, hasEscapedQuotes: escaped))
          i += 1
          while i < count && isPadding(line[i]) { i += 1 }
          guard i == count || line[i] == delimiter else {
            return SplitProblem(
              column: fields.count, message: "unexpected text after a closing quote")
          }
        } else {
          let start = i
          while i < count && line[i] != delimiter { i += 1 }
          var end = i
          while end > start && isPadding(line[end - 1]) { end -= 1 }
          fields.append(FieldRange(start: start, end: end, hasEscapedQuotes: false))
        }
        guard i < count else { return nil }
        i += 1
      }
    }
  }
}

/// A malformed quoted field found by `FieldSeparator.split`.
struct SplitProblem {
  /// 1-based index of the field.
  let column: Int
  /// What is wrong.
  let message: String
}

/// Where one field lies in a line (quotes excluded).
struct FieldRange {
  /// The double quote that encloses CSV fields.
  static let quote: UInt8 = 0x22
  /// First byte of the field.
  var start: Int
  /// One past the last byte.
  var end: Int
  /// Whether the quoted field holds `""` pairs that stand for one quote each.
  var hasEscapedQuotes: Bool

  /// Whether the field is empty.
  var isEmpty: Bool { start == end }

  /// The field's text in `line`, with `""` pairs unescaped. The line must be valid UTF-8.
  func string(in line: UnsafeBufferPointer<UInt8>) -> String {
    let raw = UnsafeBufferPointer(rebasing: line[start..<end])
    guard hasEscapedQuotes else { return String(decoding: raw, as: UTF8.self) }
    var unescaped: [UInt8] = []
    unescaped.reserveCapacity(raw.count)
    var i = 0
    while i < raw.count {
      unescaped.append(raw[i])
      i += raw[i] == FieldRange.quote ? 2 : 1
    }
    return String(decoding: unescaped, as: UTF8.self)
  }
}
