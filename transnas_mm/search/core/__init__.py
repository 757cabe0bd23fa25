"""The search protocol, the candidate record and the resumable loop both
searches run in (state saved every generation, valid for what it was
scored on), and where a step's wall time went."""
