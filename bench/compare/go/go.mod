module magpie/bench/compare/go

go 1.19
