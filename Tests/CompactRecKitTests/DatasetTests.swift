import Testing

@testable import CompactRecKit

@Suite("Dataset")
struct DatasetTests {
  private func data(_ train: [[Int32]]) -> Dataset {
    Dataset(
      name: "t", users: IDMap(ids: ["a", "b"]), items: IDMap(ids: ["x", "y", "z"]), train: train, test: [[], []])
  }

  @Test("the fingerprint survives carving a validation split and changes with the data")
  func fingerprint() {
    let base = data([[0, 1, 2], [1, 2]])
    #expect(base.carvingValidation(fraction: 0.5, seed: 3).fingerprint() == base.fingerprint())
    #expect(data([[0, 1], [1, 2]]).fingerprint() != base.fingerprint())
    #expect(base.fingerprint().count == 16)
  }

  @Test("aligning to another id space matches by name and counts what is left out")
  func alignment() {
    let base = data([[0, 1, 2], [1]])
    let (aligned, dropped) = base.aligned(users: IDMap(ids: ["b", "a"]), items: IDMap(ids: ["z", "x"]))
    #expect(aligned.train == [[], [1, 0]])
    #expect(dropped == 2)
  }
}
