/// A library setting that an error message points its reader to. The library's own messages
/// name it in the library's words (`LoadOptions.split = given`); a tool names it in its own
/// (the command line's `--split given`) through `SettingNamingError.message(naming:)`.
public enum Setting: String, Sendable, CaseIterable {
  /// `LoadOptions.split`: how interactions are split into train, validation and test.
  case split
  /// `LoadOptions.format`: how a data file is read.
  case format
  /// `CheckpointOptions.resume`: continue from an existing checkpoint.
  case resume
  /// `TrainedModel(keepHistories:)`: whether a model file stores its users' histories.
  case keepHistories
  /// A model configuration's `dim`: the embedding width.
  case dim
  /// A model configuration's `batchSize`.
  case batchSize
  /// `SequentialConfiguration.maxLength`: positions per training window.
  case maxLength
  /// A model configuration's `evaluateEvery`: epochs between validations (0: none).
  case evaluateEvery
  /// `ModelRecipe.validationShare`: the share of training items carved out for validation.
  case validationShare
  /// `ModelRecipe.warmStart`: the checkpoint a LightGCN run starts from.
  case warmStart

  /// The setting as the library's API spells it.
  public var libraryName: String {
    switch self {
    case .split: return "LoadOptions.split"
    case .format: return "LoadOptions.format"
    case .resume: return "CheckpointOptions.resume"
    case .keepHistories: return "TrainedModel.keepHistories"
    case .dim: return "configuration.dim"
    case .batchSize: return "configuration.batchSize"
    case .maxLength: return "SequentialConfiguration.maxLength"
    case .evaluateEvery: return "configuration.evaluateEvery"
    case .validationShare: return "ModelRecipe.validationShare"
    case .warmStart: return "ModelRecipe.warmStart"
    }
  }

  /// The library's words for the setting with `value`: `LoadOptions.split = given`.
  public static func libraryPhrase(_ setting: Setting, value: String?) -> String {
    value.map { "\(setting.libraryName) = \($0)" } ?? setting.libraryName
  }
}

/// Message text that may name settings, each with the value it asks for, so that the library
/// and every tool can word the same message in their own terms.
public struct SettingText: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
  /// A run of plain text, or a setting with the value the message asks for (if any).
  public enum Part: Sendable, Equatable {
    case text(String)
    case setting(Setting, value: String?)
  }

  public var parts: [Part]

  public init(stringLiteral value: String) { parts = [.text(value)] }

  public init(stringInterpolation: StringInterpolation) { parts = Self.merged(stringInterpolation.parts) }

  /// `parts` with adjacent runs of text joined, so that equal texts have equal parts however
  /// they were put together.
  private static func merged(_ parts: [Part]) -> [Part] {
    var out: [Part] = []
    for part in parts {
      if case .text(let next) = part, case .text(let previous)? = out.last {
        out[out.count - 1] = .text(previous + next)
      } else {
        out.append(part)
      }
    }
    return out
  }

  /// The text with every setting worded by `name`.
  public func rendered(naming name: (Setting, String?) -> String) -> String {
    parts.map { part in
      switch part {
      case .text(let text): return text
      case .setting(let setting, let value): return name(setting, value)
      }
    }.joined()
  }

  /// The two texts one after the other.
  public static func + (lhs: SettingText, rhs: SettingText) -> SettingText {
    var joined = lhs
    joined.parts = merged(lhs.parts + rhs.parts)
    return joined
  }

  /// The text in the library's words.
  public var description: String { rendered(naming: Setting.libraryPhrase) }

  public struct StringInterpolation: StringInterpolationProtocol {
    var parts: [Part] = []

    public init(literalCapacity: Int, interpolationCount: Int) {}

    public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

    /// Plain interpolated text.
    public mutating func appendInterpolation<T>(_ value: T) { parts.append(.text("\(value)")) }

    /// A setting, with the value the message asks for.
    public mutating func appendInterpolation(setting: Setting, _ value: String? = nil) {
      parts.append(.setting(setting, value: value))
    }
  }
}

/// An error whose message names library settings (`SettingText`): the library's description
/// words them in its own terms, and a tool renders them in its own with `message(naming:)`.
public protocol SettingNamingError: Error, CustomStringConvertible {
  /// The message with every setting worded by `name`.
  func message(naming name: (Setting, String?) -> String) -> String
}

extension SettingNamingError {
  public var description: String { message(naming: Setting.libraryPhrase) }
}
