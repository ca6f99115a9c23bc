/// A problem in data or options supplied by a user, located as precisely as possible so the
/// user can fix it: the file, the line, and the field within the line.
///
/// Loaders throw it for anything wrong with their input (a missing or empty file, a malformed
/// line, an id the training data does not know) instead of crashing. Its description reads
/// like a compiler diagnostic, `train.txt:12:3: expected a number, found "abc"`, which
/// terminals and editors know how to jump to. A problem with a setting's value (a split that
/// does not parse) is located at the setting instead, and settings the message points to are
/// worded by whoever shows it (`message(naming:)`).
public struct DataError: SettingNamingError, Equatable, Sendable {
  /// The file as its path was given (empty when `setting` locates the problem).
  public var file: String
  /// The 1-based line number, when the problem is on one line.
  public var line: Int?
  /// The 1-based index of the field within the line (not a character offset), when known.
  public var column: Int?
  /// The setting whose value is at fault, when it is not a file's content.
  public var setting: Setting?
  /// What was expected and what was found.
  public var text: SettingText

  /// What was expected and what was found, in the library's words.
  public var message: String { text.description }

  /// Creates an error; leave `line` and `column` nil when the problem is not on one line.
  public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
    self.init(file: file, line: line, column: column, text: SettingText(stringLiteral: message))
  }

  /// Creates an error whose message may point to settings.
  public init(file: String, line: Int? = nil, column: Int? = nil, text: SettingText) {
    self.file = file
    self.line = line
    self.column = column
    self.text = text
  }

  /// An error in the value of `setting`.
  public init(setting: Setting, text: SettingText) {
    self.init(file: "", text: text)
    self.setting = setting
  }

  /// `file:line:column: message` (or `setting: message`), leaving out the parts that are not
  /// known (the column is only shown together with a line), settings worded by `name`.
  public func message(naming name: (Setting, String?) -> String) -> String {
    var location = file
    if let setting {
      location = name(setting, nil)
    } else if let line {
      location += ":\(line)"
      if let column { location += ":\(column)" }
    }
    return "\(location): \(text.rendered(naming: name))"
  }
}
