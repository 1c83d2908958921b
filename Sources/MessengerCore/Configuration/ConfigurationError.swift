/// A configuration problem found at startup. The message names the variable and what is wrong
/// with it, and never contains a secret's value.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let variable: String
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "configuration error: \(variable) \(problem)" }
}
