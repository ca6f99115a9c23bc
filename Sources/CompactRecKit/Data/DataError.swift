/// A problem in data or options supplied by a user, located as precisely as possible so the
/// user can fix it: the file, the line, and the field within the line.
///
/// Loaders throw it for anything wrong with their input (a missing or empty file, a malformed
/// line, an id the training data does not know) instead of crashing. Its description reads
/// like a compiler diagnostic, `train.txt:12:3: expected a number, found "abc"`, which
/// terminals and editors know how to jump to.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file as its path was given (or, for a bad option, the option, such as `--split`).
  public var file: String
  /// The 1-based line number, when the problem is on one line.
  public var line: Int?
  /// The 1-based index of the field within the line (not a character offset), when known.
  public var column: Int?
  /// What was expected and what was found.
  public var message: String

  /// Creates an error; leave `line` and `column` nil when the problem is not on one line.
  public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// `file:line:column: message`, leaving out the parts that are not known (the column is
  /// only shown together with a line).
  public var description: String {
    var location = file
    if let line {
      location += ":\(line)"
      if let column { location += ":\(column)" }
    }
    return "\(location): \(message)"
  }
}
