/// A setting written in JSON as its text form (`dns:8:30`, `softmax:1024:0.1`), the form its
/// command-line option takes, so checkpoints and model files record it as a user writes it.
public protocol TextCodable: Codable, CustomStringConvertible {
  /// The value `text` names, or nil when it names none.
  init?(_ text: String)
}

extension TextCodable {
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard let value = Self(text) else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a \(Self.self): \(text)")
    }
    self = value
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
