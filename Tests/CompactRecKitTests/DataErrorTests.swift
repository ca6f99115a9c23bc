import Testing

@testable import CompactRecKit

@Suite struct DataErrorTests {
  @Test func describesFileLineColumnAndMessage() {
    let error = DataError(
      file: "train.txt", line: 12, column: 3, message: "expected a number, found \"abc\"")
    #expect(error.description == "train.txt:12:3: expected a number, found \"abc\"")
  }

  @Test func leavesOutUnknownParts() {
    #expect(DataError(file: "a.csv", line: 4, message: "m").description == "a.csv:4: m")
    #expect(
      DataError(file: "a.csv", message: "file is empty").description == "a.csv: file is empty")
    #expect(DataError(file: "a.csv", column: 2, message: "m").description == "a.csv: m")
  }
}
