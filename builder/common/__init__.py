"""Small leaf modules every stage may import: errors and problems, progress lines, the build clock, dates, labels."""
