import CompactRecKit

/// Builds JSON text directly: the answers of the hot routes are small objects of ids and
/// scores, and writing them is several times faster than going through `JSONEncoder`.
/// Values passed to `object` and `array` are JSON text already.
enum JSONText {
  /// A JSON string literal, escaped as RFC 8259 requires.
  static func string(_ s: String) -> String {
    var out = ""
    append(s, to: &out)
    return out
  }

  /// Appends `s` as a JSON string literal (`JSONValue.appendQuoted`).
  static func append(_ s: String, to out: inout String) { JSONValue.appendQuoted(s, to: &out) }

  /// A number; non-finite values (never produced by a loaded model) become null.
  static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

  /// A float number in its shortest round-trip form.
  static func number(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }

  static func number(_ x: Int) -> String { String(x) }

  static func bool(_ b: Bool) -> String { b ? "true" : "false" }

  /// An object from keys and JSON-text values, in the given order.
  static func object(_ fields: [(String, String)]) -> String {
    var out = "{"
    out.reserveCapacity(fields.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
    for (i, (key, value)) in fields.enumerated() {
      if i > 0 { out += "," }
      append(key, to: &out)
      out += ":"
      out += value
    }
    return out + "}"
  }

  /// An array of JSON-text values.
  static func array(_ values: [String]) -> String { "[" + values.joined(separator: ",") + "]" }
}
