import CompactRecKit

/// The splits and bad-line handling every data input is loaded with: strict leave-one-out,
/// then the two seeded random splits with bad lines skipped. One input so reaches the parsers'
/// errors and their skip paths, both duplicate policies and every split computed from a file.
private let loadings: [(split: SplitStrategy, skipBadLines: Bool)] = [
  (.leaveOneOut, false),
  (.randomRatio(test: 0.3, validation: 0.2, seed: 1), true),
  (.bySequence(testFraction: 0.5, validationFraction: 0.5, seed: 1), true),
]

/// Loads `bytes` as one data file in `format` with `DataLoader`, in each of the `loadings`.
func fuzzDataFile(_ bytes: [UInt8], format: InputFormat) {
  let path = ScratchFiles.write(bytes, to: "input")
  for (split, skipBadLines) in loadings {
    let options = LoadOptions(format: format, split: split, skipBadLines: skipBadLines)
    _ = try? DataLoader.load(path: path, options: options)
  }
}

/// Loads `bytes` as a per-user lists file like `fuzzDataFile`. When it holds a NUL byte
/// (which no text file has), also loads a directory holding the part before it as
/// `train.txt` and the part after as `test.txt`: a given split, as Gowalla ships, read
/// strictly and skipping bad lines, which reaches the held-out reader and its unknown ids.
func fuzzLists(_ bytes: [UInt8]) {
  fuzzDataFile(bytes, format: .userItemLists)
  guard let nul = bytes.firstIndex(of: 0) else { return }
  _ = ScratchFiles.write(bytes[..<nul], to: "given/train.txt")
  _ = ScratchFiles.write(bytes[(nul + 1)...], to: "given/test.txt")
  let directory = ScratchFiles.directory + "given"
  for skipBadLines in [false, true] {
    _ = try? DataLoader.load(path: directory, options: LoadOptions(skipBadLines: skipBadLines))
  }
}
