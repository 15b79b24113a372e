#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    tsgate::cli::main()
}
