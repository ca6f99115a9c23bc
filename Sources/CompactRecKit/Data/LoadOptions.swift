/// The layout of an interaction file.
public enum InputFormat: String, Sendable, CaseIterable {
  /// Decide from the path: `.inter`, `.csv`, `.tsv` are delimited (a `.csv` whose name
  /// contains "session" holds sessions), `.txt` holds per-user lists; other files are
  /// delimited when their first line holds a tab, comma or semicolon, per-user lists otherwise.
  case auto
  /// One line per user: `user item item ...`, separated by spaces or tabs.
  case userItemLists = "lists"
  /// One interaction per line with user, item and optional timestamp columns (CSV, TSV,
  /// RecBole `.inter`).
  case delimited = "csv"
  /// One session per line, items separated by commas; the session's id is its line number.
  case sessions
}

/// How interactions are divided into train, validation and test.
public enum SplitStrategy: Sendable, Equatable {
  /// The files already hold the split: a directory with `train.txt`, `test.txt` and
  /// optionally `valid.txt` or `validation.txt`.
  case given
  /// Per user in time order: the last item is test, the one before it validation, the rest
  /// train. A user with one interaction keeps it in train; with two, one train and one test.
  case leaveOneOut
  /// Per user, a seeded random `test` fraction of the items goes to test and a `validation`
  /// fraction to validation (each rounded), always leaving at least one item in train.
  case randomRatio(test: Double, validation: Double, seed: UInt64)
  /// A seeded random `testFraction` of the users (those with at least two items) are held
  /// out: their last item is test and the rest is history that is not fitted. The other
  /// users' whole sequences are train, except that a seeded random `validationFraction` of
  /// them (those with at least three items) give their last item to validation, for early
  /// stopping.
  case bySequence(testFraction: Double, validationFraction: Double = 0, seed: UInt64)

  /// The seed of the random splits when none is given (the command line's `--data-seed`).
  public static let defaultSeed: UInt64 = 42

  /// Parses the command-line form: `given`, `loo` or `leave-one-out`, `ratio:TEST` or
  /// `ratio:TEST:VALIDATION` (fractions), `sequence` (20% of users held out),
  /// `sequence:FRACTION` or `sequence:FRACTION:VALIDATION`. `seed` seeds the random splits and is ignored by the others.
  /// Throws a `DataError` at `Setting.split` when the text is not one of these or a fraction
  /// is out of range.
  public init(parsing text: String, seed: UInt64) throws {
    let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
      .map { String($0) }
    func fraction(_ index: Int, default value: Double) throws -> Double {
      guard index < parts.count else { return value }
      guard let number = Double(parts[index]) else {
        throw DataError(setting: .split, text: "expected a fraction, found \"\(parts[index])\"")
      }
      return number
    }
    switch (parts[0], parts.count) {
    case ("given", 1): self = .given
    case ("loo", 1), ("leave-one-out", 1): self = .leaveOneOut
    case ("ratio", 2...3):
      self = .randomRatio(
        test: try fraction(1, default: 0), validation: try fraction(2, default: 0), seed: seed)
    case ("sequence", 1...3):
      self = .bySequence(
        testFraction: try fraction(1, default: 0.2), validationFraction: try fraction(2, default: 0), seed: seed)
    default:
      throw DataError(
        setting: .split,
        text: "expected given, loo, ratio:TEST[:VALIDATION] or sequence[:FRACTION[:VALIDATION]], "
          + "found \"\(text)\"")
    }
    try validate()
  }

  /// Throws a `DataError` at `Setting.split` when a fraction is out of range: a test fraction
  /// must be in (0, 1), a validation fraction in [0, 1), and the two must sum below 1.
  func validate() throws {
    switch self {
    case .given, .leaveOneOut: return
    case .randomRatio(let test, let validation, _):
      guard test > 0 && test < 1 else {
        throw DataError(setting: .split, text: "test fraction must be in (0, 1), found \(test)")
      }
      guard validation >= 0 && validation < 1 else {
        throw DataError(
          setting: .split, text: "validation fraction must be in [0, 1), found \(validation)")
      }
      guard test + validation < 1 else {
        throw DataError(
          setting: .split,
          text: "test and validation fractions must sum below 1, "
            + "found \(test) + \(validation)")
      }
    case .bySequence(let fraction, let validation, _):
      guard fraction > 0 && fraction < 1 else {
        throw DataError(
          setting: .split, text: "held-out fraction must be in (0, 1), found \(fraction)")
      }
      guard validation >= 0 && validation < 1 else {
        throw DataError(
          setting: .split, text: "validation fraction must be in [0, 1), found \(validation)")
      }
    }
  }
}

extension SplitStrategy: CustomStringConvertible {
  /// The command-line form accepted by `init(parsing:seed:)` (without the seed), so a run
  /// can print its configuration and be repeated.
  public var description: String {
    switch self {
    case .given: return "given"
    case .leaveOneOut: return "loo"
    case .randomRatio(let test, let validation, _):
      return validation == 0 ? "ratio:\(test)" : "ratio:\(test):\(validation)"
    case .bySequence(let fraction, let validation, _):
      return validation > 0 ? "sequence:\(fraction):\(validation)" : "sequence:\(fraction)"
    }
  }
}

/// What to do with a (user, item) pair that occurs more than once for a user.
public enum DuplicatePolicy: String, Sendable {
  /// Keep every occurrence: repeated consumption is signal for sequential models.
  case keep
  /// Keep the first occurrence only: implicit-feedback models treat interactions as a set,
  /// and a test item already in train would be excluded from ranking anyway.
  case drop
}

/// How `DataLoader` reads a path. Every field has a default that suits the common files; the
/// command line sets the ones the user gives.
public struct LoadOptions: Sendable {
  /// The file layout; `.auto` decides from the path (see `InputFormat.auto`).
  public var format: InputFormat
  /// The split; nil chooses `.given` for a directory holding `train.txt` and `test.txt`, and
  /// is an error for a single file, which needs an explicit split.
  public var split: SplitStrategy?
  /// Delimited files: the user column, by header name (a RecBole `user_id:token` header
  /// matches `user_id`) or by 1-based position such as `"1"`. Nil picks a column named
  /// like user_id, user, userId, uid or session_id, or the first column.
  public var userColumn: String?
  /// Delimited files: the item column, by header name or 1-based position. Nil picks a
  /// column named like item_id, item, itemId, movie_id or product_id, or the second column.
  public var itemColumn: String?
  /// Delimited files: the timestamp column, by header name or 1-based position, or `"none"`
  /// to ignore timestamps. Nil picks a column named timestamp, time or ts; without a header,
  /// the last column when there are at least three and it holds a number on the first line.
  public var timeColumn: String?
  /// Delimited and session files: the field separator, an ASCII character (a space means
  /// runs of spaces and tabs). Nil detects tab, comma, semicolon or space from the first line
  /// (sessions default to comma).
  public var delimiter: Character?
  /// Delimited files: whether the first line is a header. Nil detects one: a line holding a
  /// RecBole `name:type` field or a field named like a requested or common column.
  public var header: Bool?
  /// What to do with repeated (user, item) pairs. Nil means `.keep` for sequential data
  /// (leave-one-out and by-sequence splits, session files) and `.drop` otherwise.
  public var duplicates: DuplicatePolicy?
  /// Whether malformed lines and held-out ids unknown to training are skipped and counted in
  /// the summary instead of failing the load.
  public var skipBadLines: Bool

  /// Options with the given values; the defaults detect everything detectable.
  public init(
    format: InputFormat = .auto, split: SplitStrategy? = nil, userColumn: String? = nil,
    itemColumn: String? = nil, timeColumn: String? = nil, delimiter: Character? = nil,
    header: Bool? = nil, duplicates: DuplicatePolicy? = nil, skipBadLines: Bool = false
  ) {
    self.format = format
    self.split = split
    self.userColumn = userColumn
    self.itemColumn = itemColumn
    self.timeColumn = timeColumn
    self.delimiter = delimiter
    self.header = header
    self.duplicates = duplicates
    self.skipBadLines = skipBadLines
  }

  /// The duplicate policy in effect for data read as `format` (already resolved from `.auto`).
  func duplicatePolicy(for format: InputFormat) -> DuplicatePolicy {
    if let duplicates { return duplicates }
    switch split {
    case .leaveOneOut?, .bySequence?: return .keep
    default: return format == .sessions ? .keep : .drop
    }
  }
}
