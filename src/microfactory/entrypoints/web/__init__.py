"""microfactory.entrypoints.web"""
