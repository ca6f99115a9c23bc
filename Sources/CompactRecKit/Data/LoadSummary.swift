/// What loading a data set did: which files were read, how many lines and interactions, and
/// what was dropped or skipped and why. Printed after loading so a user can see at a glance
/// whether the data was read as intended.
public struct LoadSummary: Sendable, CustomStringConvertible {
  /// The files read, as their paths were given.
  public var files: [String] = []
  /// Non-blank lines read over all files, header lines included.
  public var linesRead = 0
  /// Interactions kept over train, validation and test after duplicates and bad lines.
  public var interactions = 0
  /// Repeated (user, item) pairs removed under `DuplicatePolicy.drop`.
  public var duplicatesDropped = 0
  /// Repeated (user, item) pairs kept under `DuplicatePolicy.keep`.
  public var duplicatesKept = 0
  /// Malformed lines skipped because `LoadOptions.skipBadLines` was set.
  public var skippedLines = 0
  /// For skipped lines: reason (such as `wrong field count`) -> number of lines.
  public var skipReasons: [String: Int] = [:]
  /// Lines of held-out files (test, validation) dropped because their user is not in the
  /// training data. Counted only when skipping bad lines; otherwise loading fails.
  public var unknownTestUsers = 0
  /// Items of held-out files dropped because they are not in the training data. Counted
  /// only when skipping bad lines; otherwise loading fails.
  public var unknownTestItems = 0
  /// Whether the first line of a delimited file was read as a header.
  public var headerDetected = false
  /// Whether interactions carried timestamps (and so lists are in time order).
  public var hasTimestamps = false

  /// An empty summary: nothing read yet.
  public init() {}

  /// A few lines: files, counts, duplicates, and skipped or unknown entries when there were any.
  public var description: String {
    var lines = ["files: " + (files.isEmpty ? "none" : files.joined(separator: ", "))]
    lines.append("lines read: \(linesRead), interactions kept: \(interactions)")
    lines.append("duplicates: \(duplicatesDropped) dropped, \(duplicatesKept) kept")
    if skippedLines > 0 {
      let reasons = skipReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
      lines.append("skipped lines: \(skippedLines) (\(reasons.joined(separator: ", ")))")
    }
    if unknownTestUsers > 0 || unknownTestItems > 0 {
      lines.append(
        "dropped from held-out files: \(unknownTestUsers) unknown users, "
          + "\(unknownTestItems) unknown items")
    }
    lines.append(
      "header: \(headerDetected ? "yes" : "no"), timestamps: \(hasTimestamps ? "yes" : "no")")
    return lines.joined(separator: "\n")
  }
}

extension LoadSummary {
  /// Deals with a bad line: throws `error`, or, when `skipping`, counts the line under
  /// `reason` so the caller can move on to the next line.
  mutating func reject(_ error: DataError, reason: String, skipping: Bool) throws {
    guard skipping else { throw error }
    skippedLines += 1
    skipReasons[reason, default: 0] += 1
  }
}
