import Foundation

/// Any JSON value: the type of a model file's hyper-parameters and metadata.
///
/// These are open-ended (each model kind has its own), so they are stored as JSON rather than
/// as a fixed struct, and any model file can be inspected without knowing its kind.
/// Numbers are `Double`s, as in JSON itself: integers are exact up to 2^53; store larger ones
/// (64-bit seeds, hashes) as strings. JSON has no NaN or infinity: a model file stores them as
/// the strings "NaN", "Infinity" and "-Infinity", and they read back as those strings.
///
/// Literals build values directly: `let h: [String: JSONValue] = ["dim": 64, "lr": 1e-3,
/// "optimizer": "adam", "layers": [64, 64]]`.
public enum JSONValue: Codable, Equatable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else if let value = try? container.decode([String: JSONValue].self) {
      self = .object(value)
    } else {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

// MARK: - Accessors

extension JSONValue {
  /// The number, or nil when this is not a number.
  public var doubleValue: Double? {
    if case .number(let value) = self { return value }
    return nil
  }

  /// The number as an `Int`, or nil when this is not a number or not an exact integer in
  /// `Int`'s range (so `2.5` gives nil rather than a silently truncated 2).
  public var intValue: Int? {
    if case .number(let value) = self { return Int(exactly: value) }
    return nil
  }

  /// The string, or nil when this is not a string.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The Boolean, or nil when this is not a Boolean.
  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The elements, or nil when this is not an array.
  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  /// The members, or nil when this is not an object.
  public var objectValue: [String: JSONValue]? {
    if case .object(let value) = self { return value }
    return nil
  }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral {
  public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
  public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
  public init(integerLiteral value: Int) { self = .number(Double(value)) }
}

extension JSONValue: ExpressibleByFloatLiteral {
  public init(floatLiteral value: Double) { self = .number(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
  /// A repeated key keeps its last value.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}

// MARK: - Text

extension JSONValue: CustomStringConvertible {
  /// Compact JSON with sorted keys, as in a model file's header, e.g. `{"dim":64,"lr":0.001}`;
  /// for printing (`inspect`).
  public var description: String {
    let data = (try? ModelFileLayout.makeEncoder().encode(self)) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }
}

extension JSONValue {
  /// Appends `text` to `out` as a JSON string literal, escaped as RFC 8259 requires. Text that
  /// needs no escaping (most ids) is copied whole. For code that writes JSON text directly:
  /// the server's answers and `recommend --users` lines.
  public static func appendQuoted(_ text: String, to out: inout String) {
    out += "\""
    if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
      out += text
      out += "\""
      return
    }
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}
