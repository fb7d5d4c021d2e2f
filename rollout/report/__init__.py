"""The report of a rollout: text summary, locust HTML, testinfra results and a timeline chart."""
