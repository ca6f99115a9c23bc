import ArgumentParser
import CompactRecKit
import Foundation

@main
struct CompactRec: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compactrec",
    abstract: "Train, compress, evaluate and serve compact recommender models.",
    subcommands: [
      TrainCommand.self, EvaluateCommand.self, RecommendCommand.self, InspectCommand.self,
      DemoCommand.self, BenchCommand.self, ExportCommand.self, ServeCommand.self,
    ])

  /// Runs the command; exit status 64 for every usage error (`ValidationError` while
  /// parsing, `UsageFailure` after), 1 for every other failure. Library errors that name
  /// settings are worded with the command line's flags (`commandLineMessage`).
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var command = command as? AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch let error as UsageFailure {
      FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
      Foundation.exit(UsageFailure.exitStatus)
    } catch let error as any SettingNamingError {
      // A library error that names settings: worded with their flags (exit status 1).
      FileHandle.standardError.write(Data("Error: \(commandLineMessage(error))\n".utf8))
      Foundation.exit(1)
    } catch {
      exit(withError: error)
    }
  }
}
