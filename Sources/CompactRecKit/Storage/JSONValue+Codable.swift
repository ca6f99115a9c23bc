import Foundation

extension JSONValue {
  /// The JSON form of an `Encodable` value, keys in snake case (`maxLength` becomes
  /// `max_length`), as model files and `--json` output spell them. Numbers become `Double`s,
  /// so integers above 2^53 lose their low bits (see the type's note on seeds).
  public init<T: Encodable>(encoding value: T) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    self = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
  }

  /// This value decoded as `type`, keys read from snake case (the inverse of
  /// `init(encoding:)`).
  public func decoded<T: Decodable>(as type: T.Type) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return try decoder.decode(type, from: JSONEncoder().encode(self))
  }
}
