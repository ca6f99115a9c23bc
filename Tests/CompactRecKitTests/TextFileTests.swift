import Testing

@testable import CompactRecKit

@Suite struct TextFileTests {
  /// The non-blank lines of `file` as (number, text).
  func lines(_ file: TextFile) -> [(Int, String)] {
    var result: [(Int, String)] = []
    file.forEachLine { result.append(($0.number, String(decoding: $0.bytes, as: UTF8.self))) }
    return result
  }

  @Test func stripsLineEndsAndTrailingBlanksAndSkipsBlankLines() throws {
    let folder = DataTestFolder()
    let path = folder.write("a.txt", "1 a b\r\n2 c \t \r\n\r\n   \n3\n4 d")
    let found = lines(try TextFile(path: path))
    #expect(found.map(\.0) == [1, 2, 5, 6])
    #expect(found.map(\.1) == ["1 a b", "2 c", "3", "4 d"])
  }

  @Test func dropsAByteOrderMark() throws {
    let folder = DataTestFolder()
    let path = folder.write("a.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("user_id,item_id\n".utf8))
    #expect(lines(try TextFile(path: path)).map(\.1) == ["user_id,item_id"])
  }

  @Test func refusesMissingDirectoryAndEmptyFiles() {
    let folder = DataTestFolder()
    #expect(throws: DataError(file: folder.path + "/none.txt", message: "no such file")) {
      try TextFile(path: folder.path + "/none.txt")
    }
    #expect(throws: DataError(file: folder.path, message: "is a directory, expected a file")) {
      try TextFile(path: folder.path)
    }
    let empty = folder.write("empty.txt", "")
    #expect(throws: DataError(file: empty, message: "file is empty")) { try TextFile(path: empty) }
  }

  @Test func locatesInvalidUTF8ByField() throws {
    let folder = DataTestFolder()
    let path = folder.write(
      "a.txt",
      bytes: Array("u1 caf\u{E9}\n".utf8) + Array("u2 a ".utf8) + [0x62, 0xFF, 0xFE] + [0x0A])
    let file = try TextFile(path: path)
    var errors: [DataError?] = []
    file.forEachLine { errors.append(file.utf8Error(in: $0, separator: .whitespace)) }
    #expect(errors == [nil, DataError(file: path, line: 2, column: 3, message: "invalid UTF-8")])
  }

  /// The fields of `text` split by `separator`, or the split's complaint.
  func split(_ text: String, _ separator: FieldSeparator) -> Result<[String], DataError> {
    let bytes = Array(text.utf8)
    var fields: [FieldRange] = []
    return bytes.withUnsafeBufferPointer { line in
      if let problem = separator.split(line, into: &fields) {
        return .failure(DataError(file: "", column: problem.column, message: problem.message))
      }
      return .success(fields.map { $0.string(in: line) })
    }
  }

  @Test func splitsOnWhitespaceRuns() {
    #expect(split("  a \t b  c", .whitespace) == .success(["a", "b", "c"]))
  }

  @Test func splitsQuotedCSV() {
    let comma = FieldSeparator.byte(0x2C)
    #expect(
      split(#"u1, "a,b" ,"say ""hi""",,x,"#, comma)
        == .success(["u1", "a,b", #"say "hi""#, "", "x", ""]))
    #expect(split("a\tb c\t d", .byte(0x09)) == .success(["a", "b c", "d"]))
    #expect(
      split(#"a,"b"#, comma)
        == .failure(DataError(file: "", column: 2, message: "unterminated quoted field")))
    #expect(
      split(#"a,"b"c,d"#, comma)
        == .failure(
          DataError(file: "", column: 2, message: "unexpected text after a closing quote")))
  }

  @Test func acceptsOnlyASCIIDelimiters() throws {
    #expect(try FieldSeparator(delimiter: ";", file: "f") == .byte(0x3B))
    #expect(try FieldSeparator(delimiter: " ", file: "f") == .whitespace)
    #expect(throws: DataError.self) { try FieldSeparator(delimiter: "é", file: "f") }
    #expect(throws: DataError.self) { try FieldSeparator(delimiter: "\"", file: "f") }
  }
}
