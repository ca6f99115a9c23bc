/// Reads per-user lines, `user item item ...`, separated by spaces or tabs: the Gowalla /
/// LightGCN `train.txt` and `test.txt` and the `sequences.txt` of sequential data sets.
///
/// A line with a user and no items gives the user an empty list; a user on several lines
/// gets their items joined in file order.
enum UserListParser {
  /// Reads `file`, adding its users and items to `data`. Lines that are not valid UTF-8 are
  /// thrown, or skipped and counted when `skipBadLines`. O(file size).
  static func read(
    _ file: TextFile, into data: inout RawInteractions, skipBadLines: Bool,
    summary: inout LoadSummary
  ) throws {
    var fields: [FieldRange] = []
    try file.forEachLine { line in
      summary.linesRead += 1
      if let error = file.utf8Error(in: line, separator: .whitespace) {
        try summary.reject(error, reason: "invalid UTF-8", skipping: skipBadLines)
        return
      }
      _ = FieldSeparator.whitespace.split(line.bytes, into: &fields)
      let user = data.addUser(fields[0].string(in: line.bytes))
      for field in fields.dropFirst() {
        data.append(user: user, item: field.string(in: line.bytes), time: nil)
      }
    }
  }

  /// Reads a held-out file (test or validation) against the training ids: per training user
  /// index, the items in file order. A user or item that training does not know is a
  /// `DataError` at its field, or, when `skipBadLines`, dropped (the whole line for a user)
  /// and counted in `summary.unknownTestUsers` / `unknownTestItems`. O(file size).
  static func readHeldOut(
    _ file: TextFile, users: IDMap, items: IDMap, skipBadLines: Bool,
    summary: inout LoadSummary
  ) throws -> [[Int32]] {
    var lists = [[Int32]](repeating: [], count: users.count)
    var fields: [FieldRange] = []
    try file.forEachLine { line in
      summary.linesRead += 1
      if let error = file.utf8Error(in: line, separator: .whitespace) {
        try summary.reject(error, reason: "invalid UTF-8", skipping: skipBadLines)
        return
      }
      _ = FieldSeparator.whitespace.split(line.bytes, into: &fields)
      let userID = fields[0].string(in: line.bytes)
      guard let user = users.index(of: userID) else {
        guard skipBadLines else {
          throw DataError(
            file: file.path, line: line.number, column: 1,
            message: "user \"\(userID)\" is not in the training data")
        }
        summary.unknownTestUsers += 1
        return
      }
      for (index, field) in fields.enumerated().dropFirst() {
        let itemID = field.string(in: line.bytes)
        guard let item = items.index(of: itemID) else {
          guard skipBadLines else {
            throw DataError(
              file: file.path, line: line.number, column: index + 1,
              message: "item \"\(itemID)\" is not in the training data")
          }
          summary.unknownTestItems += 1
          continue
        }
        lists[Int(user)].append(item)
      }
    }
    return lists
  }
}
