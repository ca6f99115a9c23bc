import Testing

@testable import CompactRecKit

@Suite struct NegativeSamplesTests {
  let dataset = Dataset(
    name: "t", users: IDMap(ids: ["u1", "u2", "u3"]),
    items: IDMap(ids: ["a", "b", "c", "d", "e", "f"]),
    train: [[0, 1], [2], [0, 1, 2, 3]], validation: [[], [], [4]], test: [[2], [3], []])

  @Test func readsNegativesPerUser() throws {
    let folder = DataTestFolder()
    let path = folder.write("neg.txt", "u2 a b\r\n\nu1 d  e\n")
    let negatives = try NegativeSamples.load(path: path, dataset: dataset)
    #expect(negatives == [[3, 4], [0, 1], []])
  }

  @Test func reportsUnknownAndRepeatedIds() {
    let folder = DataTestFolder()
    let unknownUser = folder.write("a.txt", "u1 d\nu9 a\n")
    #expect(
      throws: DataError(
        file: unknownUser, line: 2, column: 1, message: "user \"u9\" is not in the data set")
    ) { try NegativeSamples.load(path: unknownUser, dataset: dataset) }
    let unknownItem = folder.write("b.txt", "u1 d zz\n")
    #expect(
      throws: DataError(
        file: unknownItem, line: 1, column: 3, message: "item \"zz\" is not in the data set")
    ) { try NegativeSamples.load(path: unknownItem, dataset: dataset) }
    let repeated = folder.write("c.txt", "u1 d\nu1 e\n")
    #expect(
      throws: DataError(
        file: repeated, line: 2, column: 1, message: "user \"u1\" already has negatives on line 1")
    ) { try NegativeSamples.load(path: repeated, dataset: dataset) }
  }

  @Test func drawsDistinctUnseenItemsReproducibly() {
    let negatives = NegativeSamples.uniform(count: 2, dataset: dataset, seed: 4)
    #expect(negatives.map(\.count) == [2, 2, 1], "u3 has only one unseen item")
    for user in 0..<3 {
      let seen = Set(dataset.train[user] + dataset.validation[user] + dataset.test[user])
      #expect(Set(negatives[user]).count == negatives[user].count)
      #expect(negatives[user].allSatisfy { !seen.contains($0) })
    }
    #expect(negatives[2] == [5])
    #expect(NegativeSamples.uniform(count: 2, dataset: dataset, seed: 4) == negatives)
    let wide = Dataset(
      name: "w", users: IDMap(ids: ["u"]), items: IDMap(ids: (0..<1000).map { "i\($0)" }),
      train: [[0]], test: [[1]])
    let a = NegativeSamples.uniform(count: 99, dataset: wide, seed: 1)
    #expect(Set(a[0]).count == 99 && !a[0].contains(0) && !a[0].contains(1))
    #expect(NegativeSamples.uniform(count: 99, dataset: wide, seed: 2) != a)
  }
}
