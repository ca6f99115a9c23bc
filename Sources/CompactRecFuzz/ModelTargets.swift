@testable import CompactRecKit

/// Loads `bytes` as a `.crm` file with `TrainedModel.load(from:)`, comparing the file's
/// checksums only when `verifyChecksums`.
func fuzzModelFile(_ bytes: [UInt8], verifyChecksums: Bool) {
  let path = ScratchFiles.write(bytes, to: "input.crm")
  ModelFile.$verifiesChecksums.withValue(verifyChecksums) {
    _ = try? TrainedModel.load(from: path)
  }
}
