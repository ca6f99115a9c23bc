/// Reads session files: one session per line, its items separated by a delimiter (a comma
/// unless told otherwise), as in the NextItNet `sessions.csv`.
///
/// Sessions carry no id of their own, so each becomes a user whose id is the session's
/// 1-based line number in the file, written in decimal ("1", "2", ...).
enum SessionParser {
  /// Reads `file`, adding one user per line and its items to `data`. Malformed lines
  /// (invalid UTF-8, bad quoting, an empty item) are thrown, or skipped and counted when
  /// `skipBadLines`. O(file size).
  static func read(
    _ file: TextFile, separator: FieldSeparator, into data: inout RawInteractions,
    skipBadLines: Bool, summary: inout LoadSummary
  ) throws {
    var fields: [FieldRange] = []
    try file.forEachLine { line in
      summary.linesRead += 1
      if let error = file.utf8Error(in: line, separator: separator) {
        try summary.reject(error, reason: "invalid UTF-8", skipping: skipBadLines)
        return
      }
      if let problem = separator.split(line.bytes, into: &fields) {
        let error = DataError(
          file: file.path, line: line.number, column: problem.column, message: problem.message)
        try summary.reject(error, reason: "bad quoting", skipping: skipBadLines)
        return
      }
      if let empty = fields.firstIndex(where: \.isEmpty) {
        let error = DataError(
          file: file.path, line: line.number, column: empty + 1,
          message: "expected an item id, found an empty field")
        try summary.reject(error, reason: "empty id", skipping: skipBadLines)
        return
      }
      let user = data.addUser(String(line.number))
      for field in fields {
        data.append(user: user, item: field.string(in: line.bytes), time: nil)
      }
    }
  }
}
