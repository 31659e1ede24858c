"""The Teams tab: the dashboard and My mentoring pages, their sign-in, privacy and terms."""
