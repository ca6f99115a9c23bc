/// Reads delimited interaction logs, one interaction per line: CSV, TSV, RecBole `.inter`
/// files. Columns are chosen as `DelimitedColumns` describes; other columns (ratings) are
/// ignored, so every line counts as an interaction.
enum DelimitedParser {
  /// Reads `file`, adding its users, items and timestamps to `data` and noting in `summary`
  /// whether there was a header and timestamps. Malformed lines (invalid UTF-8, bad quoting,
  /// a wrong number of fields, an empty id, a bad timestamp) are thrown, or skipped and
  /// counted when `options.skipBadLines`. A header without a requested column is always
  /// thrown. O(file size).
  static func read(
    _ file: TextFile, options: LoadOptions, into data: inout RawInteractions,
    summary: inout LoadSummary
  ) throws {
    let skip = options.skipBadLines
    var separator: FieldSeparator?
    var columns: DelimitedColumns?
    var fields: [FieldRange] = []
    try file.forEachLine { line in
      summary.linesRead += 1
      func reject(column: Int?, reason: String, _ message: String) throws {
        let error = DataError(file: file.path, line: line.number, column: column, message: message)
        try summary.reject(error, reason: reason, skipping: skip)
      }
      let lineSeparator: FieldSeparator
      if let separator {
        lineSeparator = separator
      } else {
        lineSeparator =
          try options.delimiter.map { try FieldSeparator(delimiter: $0, file: file.path) }
          ?? detectSeparator(line.bytes)
        separator = lineSeparator
      }
      if let error = file.utf8Error(in: line, separator: lineSeparator) {
        try summary.reject(error, reason: "invalid UTF-8", skipping: skip)
        return
      }
      if let problem = lineSeparator.split(line.bytes, into: &fields) {
        try reject(column: problem.column, reason: "bad quoting", problem.message)
        return
      }
      let layout: DelimitedColumns
      if let columns {
        layout = columns
      } else {
        layout = try DelimitedColumns(
          firstLine: fields.map { $0.string(in: line.bytes) }, lineNumber: line.number,
          options: options, file: file.path)
        columns = layout
        summary.headerDetected = layout.hasHeader
        summary.hasTimestamps = layout.time != nil
        if layout.hasHeader { return }
      }
      guard fields.count == layout.fieldCount else {
        try reject(
          column: min(fields.count, layout.fieldCount) + 1, reason: "wrong field count",
          "expected \(layout.fieldCount) fields, found \(fields.count)")
        return
      }
      if fields[layout.user].isEmpty || fields[layout.item].isEmpty {
        let column = fields[layout.user].isEmpty ? layout.user : layout.item
        let role = column == layout.user ? "a user" : "an item"
        try reject(
          column: column + 1, reason: "empty id", "expected \(role) id, found an empty field")
        return
      }
      var time: Double?
      if let column = layout.time {
        let text = fields[column].string(in: line.bytes)
        switch DelimitedColumns.parseTime(text) {
        case .value(let value): time = value
        case .notANumber:
          try reject(
            column: column + 1, reason: "bad timestamp", "expected a number, found \"\(text)\"")
          return
        case .outOfRange:
          try reject(
            column: column + 1, reason: "timestamp out of range",
            "timestamp out of range (not finite or above 2^53), found \"\(text)\"")
          return
        }
      }
      let user = data.addUser(fields[layout.user].string(in: line.bytes))
      data.append(user: user, item: fields[layout.item].string(in: line.bytes), time: time)
    }
  }

  /// The separator of a file whose first line is `line`: the most frequent of tab, comma and
  /// semicolon (preferred in that order on ties), or runs of whitespace when none occurs.
  static func detectSeparator(_ line: UnsafeBufferPointer<UInt8>) -> FieldSeparator {
    let candidates: [UInt8] = [0x09, 0x2C, 0x3B]
    var best: UInt8?
    var bestCount = 0
    for candidate in candidates {
      let count = line.reduce(0) { $0 + ($1 == candidate ? 1 : 0) }
      if count > bestCount {
        best = candidate
        bestCount = count
      }
    }
    return best.map { .byte($0) } ?? .whitespace
  }
}
