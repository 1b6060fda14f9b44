"""The studies surveykit is demonstrated on; generic code never imports from here."""
