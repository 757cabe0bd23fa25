"""What both searches leave: file names, logs, summaries and figures."""
