"""Competition-law screening (反垄断审查, issue 23): members' combined market shares, HHI and ΔHHI against
the threshold sets that ship as data (docs/competition.md). A screening aid, not legal advice."""
