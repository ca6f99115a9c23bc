import Testing

@testable import CompactRecKit

@Suite("HistoryCoding")
struct HistoryCodingTests {
  @Test("histories round-trip: sorted, unordered, repeated, empty, and the largest ids")
  func roundTrip() throws {
    var g = SeededGenerator(seed: 12)
    let items = 50_000
    var histories: [[Int32]] = [[], [0], [Int32(items - 1)], [7, 7, 7], [49_999, 0, 49_999], []]
    for u in 0..<200 {
      let list = (0..<(u % 37)).map { _ in Int32(g.index(below: items)) }
      histories.append(u % 2 == 0 ? list.sorted() : list)
    }
    let bytes = HistoryCoding.encode(histories)
    #expect(try HistoryCoding.decode(bytes, users: histories.count, items: items).get() == histories)
    // Consecutive sorted ids (a Gowalla-like list) take about 2 bits each.
    let dense = [Array(0..<Int32(1000))]
    #expect(HistoryCoding.encode(dense).count < 260)
    #expect(try HistoryCoding.decode(HistoryCoding.encode(dense), users: 1, items: 1000).get() == dense)
  }

  @Test("corrupt encodings are refused with a reason, never trapped on")
  func corruption() {
    let histories: [[Int32]] = [[3, 9, 4], [], [1, 2]]
    let bytes = HistoryCoding.encode(histories)
    func failure(_ b: [UInt8], users: Int = 3, items: Int = 10) -> String? {
      if case .failure(let f) = HistoryCoding.decode(b, users: users, items: items) { return f.description }
      return nil
    }
    #expect(failure(Array(bytes.dropLast()))?.contains("cut short") == true)
    #expect(failure(bytes + [0])?.contains("bytes left after") == true)
    #expect(failure(bytes, items: 5)?.contains("outside the 5 items") == true)
    #expect(failure(bytes, users: 4)?.contains("cut short") == true)
    #expect(failure([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) != nil)
    #expect(failure([3, 40, 0]) == "user 0's list has no valid Rice parameter")
    #expect(failure([200, 1]) != nil)  // a length beyond what the bytes can hold
  }
}
