"""microfactory.simulation"""
