import CompactRecKit
import Foundation
import Testing

@Suite struct JSONValueTests {
  @Test func literalsAndAccessors() {
    let value: JSONValue = [
      "dim": 64, "lr": 0.001, "name": "adam", "on": true, "none": nil, "list": [1, 2],
    ]
    guard case .object(let members) = value else {
      Issue.record("not an object")
      return
    }
    #expect(members["dim"]?.intValue == 64)
    #expect(members["dim"]?.doubleValue == 64)
    #expect(members["lr"]?.doubleValue == 0.001)
    #expect(members["lr"]?.intValue == nil)
    #expect(members["name"]?.stringValue == "adam")
    #expect(members["name"]?.intValue == nil)
    #expect(members["on"]?.boolValue == true)
    #expect(members["none"] == .null)
    #expect(members["list"]?.arrayValue == [.number(1), .number(2)])
    #expect(value.objectValue?.count == 6)
    #expect(JSONValue.number(1e300).intValue == nil)
  }

  @Test func decodesEachKindDistinctly() throws {
    let text = #"{"a":[1,true,null,"x",{"b":2.5}],"c":false,"d":0}"#
    let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    let expected: JSONValue = ["a": [1, true, nil, "x", ["b": 2.5]], "c": false, "d": 0]
    #expect(value == expected)
  }

  @Test func encodesWithSortedKeysAndRoundTrips() throws {
    let value: JSONValue = ["z": "ünïcode 🙂", "a": [0.5, -3], "m": ["k": nil]]
    #expect(value.description == #"{"a":[0.5,-3],"m":{"k":null},"z":"ünïcode 🙂"}"#)
    let back = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    #expect(back == value)
    #expect(
      JSONValue.array([.number(.nan), .number(-.infinity)]).description == #"["NaN","-Infinity"]"#)
  }
}
