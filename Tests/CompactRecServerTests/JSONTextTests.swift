import Foundation
import Testing

@testable import CompactRecServer

@Suite("JSONText writes JSON that parses back to the same values")
struct JSONTextTests {
  @Test("strings with quotes, backslashes, control characters and non-ASCII round-trip")
  func strings() throws {
    let values = ["plain", "quote \" and \\ slash", "line\nfeed\r\ttab", "\u{1}\u{1F}\u{7F}", "é 北 🙂", ""]
    let text = JSONText.array(values.map(JSONText.string))
    #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] == values)
  }

  @Test("numbers, booleans and objects keep their values and field order")
  func objects() throws {
    let text = JSONText.object([
      ("f", JSONText.number(Float(0.1))), ("d", JSONText.number(1e-7)), ("i", JSONText.number(-3)),
      ("b", JSONText.bool(true)), ("nan", JSONText.number(Double.nan)),
    ])
    #expect(text.hasPrefix(#"{"f":0.1,"d":"#))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect((object["f"] as? NSNumber)?.floatValue == 0.1)
    #expect((object["d"] as? NSNumber)?.doubleValue == 1e-7)
    #expect((object["i"] as? NSNumber)?.intValue == -3)
    #expect(object["b"] as? Bool == true)
    #expect(object["nan"] is NSNull)
  }
}
