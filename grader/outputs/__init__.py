"""What the grader writes: results formats, feedback in words and HTML, pictures, reports."""
