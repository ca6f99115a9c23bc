import Foundation

/// libFuzzer's set-up hook, called once before the first input: resolves the target so that a
/// missing or unknown `COMPACTREC_FUZZ_TARGET` stops the run at once instead of fuzzing nothing.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
  _ = selectedTarget
  return 0
}

/// libFuzzer's entry point: runs the selected target on one input. A thrown error is a clean
/// refusal and returns normally; a crash, trap, hang or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  selectedTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
  return 0
}

/// The program's entry point when SwiftPM links this target. SwiftPM links every Swift
/// executable with `main` defined as `<module>_main` (so that tests can link executables),
/// which leaves libFuzzer's own `main` out of the link; this starts libFuzzer's driver as that
/// `main` does. Linked without the alias, libFuzzer's `main` runs and this goes unused.
@_cdecl("CompactRecFuzz_main")
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  var argc = argc
  var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
  return runLibFuzzer(&argc, &argv, fuzz)
}

/// libFuzzer's `LLVMFuzzerRunDriver`: parses libFuzzer's flags from the arguments and fuzzes
/// `callback` (or runs it on the given inputs) as libFuzzer's `main` does.
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzer(
  _ argc: UnsafeMutablePointer<CInt>,
  _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// The target this process fuzzes, named by `COMPACTREC_FUZZ_TARGET`; read once, on first use.
let selectedTarget: FuzzTarget = {
  let name = ProcessInfo.processInfo.environment["COMPACTREC_FUZZ_TARGET"] ?? ""
  guard let target = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(
      Data("CompactRecFuzz: set COMPACTREC_FUZZ_TARGET to one of \(names) (found \"\(name)\")\n".utf8))
    exit(2)
  }
  return target
}()
